// Benchmark harness entry: `dotnet run -c Release --project bench/Corrosion.Bench -- <suite> [options]`.
// Each suite owns its arguments; results go to bench/RESULTS.md.
using Corrosion.Bench.Swim;

var suites = new Dictionary<string, Func<string[], int>>(StringComparer.OrdinalIgnoreCase)
{
    ["swim"] = SwimSuite.Run,
};

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: Corrosion.Bench <suite> [options]; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}

return suite(args[1..]);
