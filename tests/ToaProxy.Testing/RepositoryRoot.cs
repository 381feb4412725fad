namespace ToaProxy.Testing;

/// <summary>The checkout the tests run from (the folder holding ToaProxy.sln).</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    private static string Find()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ToaProxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ToaProxy.sln above {AppContext.BaseDirectory}");
    }
}
