using Spectre.Console;

namespace Corrosion.Cli;

/// <summary>A Spectre console for tables written to a plain writer: no colours, no prompts, 200 columns wide.</summary>
internal static class PlainConsole
{
    /// <summary>A console over <paramref name="stdout"/>.</summary>
    public static IAnsiConsole Create(TextWriter stdout)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });

        // Redirected output would otherwise be cut at 80 columns, wrapping ids and addresses.
        console.Profile.Width = 200;
        return console;
    }
}
