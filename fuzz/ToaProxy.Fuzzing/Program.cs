using SharpFuzz;
using ToaProxy.Fuzzing;

// Usage: ToaProxy.Fuzzing <frame|strip|proxyv2|proxyv1|observer>. Under afl-fuzz this is a persistent
// fork server; run by hand it reads one input from stdin and runs it once (to reproduce a crash).
if (args.Length != 1 || !Enum.TryParse(args[0], ignoreCase: true, out FuzzTarget target) || !Enum.IsDefined(target))
{
    Console.Error.WriteLine($"usage: ToaProxy.Fuzzing <{string.Join('|', Enum.GetNames<FuzzTarget>()).ToLowerInvariant()}>");
    return 2;
}

// One buffer for the whole run: SharpFuzz hands each input over as a stream.
var buffer = new MemoryStream();
Fuzzer.Run(stream =>
{
    buffer.SetLength(0);
    stream.CopyTo(buffer);
    FuzzTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
