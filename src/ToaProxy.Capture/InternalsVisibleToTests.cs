using System.Runtime.CompilerServices;

// The netlink codec, the drain barrier and the libc/libpcap interop stay internal (they are not
// contracts), but their tests need them.
[assembly: InternalsVisibleTo("ToaProxy.Capture.Tests")]
