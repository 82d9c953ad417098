using System.CommandLine;

namespace Corrosion.Cli;

/// <summary>The repeatable <c>--param</c> option of exec and query.</summary>
public static class ParamOption
{
    /// <summary>Creates the option.</summary>
    public static Option<string[]> Create() => new("--param", "-p")
    {
        Description = "a positional parameter, repeatable; JSON literals (42, 1.5, null, \"text\", [1,2] for a blob) keep their type, anything else is text",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
}
