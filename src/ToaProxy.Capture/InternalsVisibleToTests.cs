using System.Runtime.CompilerServices;

// The netlink codec stays internal (it is not a contract), but its encode/decode tests need it.
[assembly: InternalsVisibleTo("ToaProxy.Capture.Tests")]
