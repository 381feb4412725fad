using System.Runtime.InteropServices;

namespace ToaProxy.Cli;

/// <summary>
/// Turns SIGTERM and SIGINT into cancellation instead of the runtime's immediate exit, so a command
/// that installed iptables rules removes them when systemd, Kubernetes, a script or Ctrl-C stops it.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly PosixSignalRegistration _terminate;
    private readonly PosixSignalRegistration _interrupt;

    public TerminationSignals(CancellationTokenSource cancellation)
    {
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            cancellation.Cancel();
        }
    }

    public void Dispose()
    {
        _terminate.Dispose();
        _interrupt.Dispose();
    }
}
