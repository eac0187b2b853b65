using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Sluice.Benchmarks -- --filter '*'        (all, default job)
// dotnet run -c Release --project tests/Sluice.Benchmarks -- --filter '*' --job short   (quicker, less precise)
BenchmarkSwitcher.FromAssembly(typeof(Sluice.Benchmarks.RoutingBenchmarks).Assembly).Run(args);
