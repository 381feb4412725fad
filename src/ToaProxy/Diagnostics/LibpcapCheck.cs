using System.Runtime.InteropServices;

namespace ToaProxy.Diagnostics;

/// <summary>Backend pcap: SharpPcap opens "libpcap.so", which Debian ships only in libpcap-dev.</summary>
public static class LibpcapCheck
{
    private const string Name = "libpcap";

    public static CheckResult Run()
    {
        if (NativeLibrary.TryLoad("libpcap.so", out IntPtr handle))
        {
            NativeLibrary.Free(handle);
            return CheckResult.Ok(Name, "libpcap.so loads");
        }

        return CheckResult.Fail(
            Name,
            "libpcap.so cannot be loaded, so backend pcap cannot start",
            "apt-get install libpcap0.8 libpcap-dev (the -dev package provides libpcap.so), or use Backend afpacket, which needs no library");
    }
}
