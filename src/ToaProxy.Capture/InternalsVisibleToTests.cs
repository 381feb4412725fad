using System.Runtime.CompilerServices;

// The drain barrier and the libc/libpcap interop are internal; their tests live in the test project.
[assembly: InternalsVisibleTo("ToaProxy.Capture.Tests")]
