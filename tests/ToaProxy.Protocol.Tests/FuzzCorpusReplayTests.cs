using ToaProxy.Fuzzing;
using ToaProxy.Testing;

namespace ToaProxy.Protocol.Tests;

/// <summary>
/// Replays every fuzz seed (fuzz/corpus) and every crash the fuzzer ever found (fuzz/regressions)
/// through the same <see cref="FuzzTargets"/> code the AFL++ harness runs, so a parser change that
/// brings a crash back fails here without running the fuzzer (fuzz/run.sh). With
/// TOAPROXY_FUZZ_FINDINGS set to an afl-fuzz output root, it also replays each target's queue:
/// fuzz/run.sh does that under coverlet to report the line and branch coverage the fuzzer reached.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static readonly string[] InputFolders = ["corpus", "regressions"];

    private static readonly string? FindingsRoot = Environment.GetEnvironmentVariable("TOAPROXY_FUZZ_FINDINGS");

    public static TheoryData<FuzzTarget, string> Inputs()
    {
        var inputs = new TheoryData<FuzzTarget, string>();
        foreach (FuzzTarget target in Enum.GetValues<FuzzTarget>())
        {
            IEnumerable<string> directories = InputFolders.Select(folder => Path.Combine(RepositoryRoot.Path, "fuzz", folder, FolderName(target)));
            if (FindingsRoot is not null)
            {
                directories = directories.Append(Path.Combine(FindingsRoot, FolderName(target), "default", "queue"));
            }

            foreach (string directory in directories.Where(Directory.Exists))
            {
                foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
                {
                    inputs.Add(target, Path.GetRelativePath(RepositoryRoot.Path, file));
                }
            }
        }

        return inputs;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_runs_without_a_crash(FuzzTarget target, string relativePath)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, relativePath));

        FuzzTargets.Run(target, input);
    }

    [Theory]
    [InlineData(FuzzTarget.Frame)]
    [InlineData(FuzzTarget.Strip)]
    [InlineData(FuzzTarget.ProxyV2)]
    [InlineData(FuzzTarget.ProxyV1)]
    [InlineData(FuzzTarget.Observer)]
    public void Every_target_has_seeds(FuzzTarget target)
    {
        string directory = Path.Combine(RepositoryRoot.Path, "fuzz", "corpus", FolderName(target));

        Assert.NotEmpty(Directory.EnumerateFiles(directory));
    }

    private static string FolderName(FuzzTarget target) => target.ToString().ToLowerInvariant();
}
