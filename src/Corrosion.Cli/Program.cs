Console.Error.WriteLine("corrosion: not yet");
return 1;
