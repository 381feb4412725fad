using BenchmarkDotNet.Running;
using ToaProxy.Benchmarks;

// `synburst [backend...]` is a live kernel measurement, not a BenchmarkDotNet run.
if (args is ["synburst", .. var backends])
{
    return await SynBurstMeasurement.RunAsync(backends);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
