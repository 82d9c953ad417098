// Benchmark harness entry: `dotnet run -c Release --project bench/Corrosion.Bench -- <suite>`.
// Suites are added by the issues that own them; results go to bench/RESULTS.md.
Console.Error.WriteLine("usage: Corrosion.Bench <suite>; no suites yet");
return 2;
