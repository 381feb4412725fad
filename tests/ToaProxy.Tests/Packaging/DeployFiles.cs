using ToaProxy.Cli;
using ToaProxy.Configuration;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Packaging;

/// <summary>Paths of deploy/ and docs/, and the checks every shipped config and nginx config must pass.</summary>
internal static class DeployFiles
{
    public static string Path(string relative) => System.IO.Path.Combine(RepositoryRoot.Path, relative);

    public static string Read(string relative) => File.ReadAllText(Path(relative));

    /// <summary>Compiles a shipped toaproxy config with the proxy's own loader; fails with every error.</summary>
    public static ProxySettings CompileConfig(string json, string directory)
    {
        string file = System.IO.Path.Combine(directory, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        var errors = new List<string>();
        ProxySettings? settings = SettingsFile.TryLoad(file, errors);
        Assert.True(settings is not null, string.Join("\n", errors));
        return settings!;
    }

    /// <summary>Runs nginx -t on <paramref name="serverConfig"/> included in an http block, as conf.d files are.</summary>
    public static void AssertNginxAccepts(string serverConfig, string directory)
    {
        string nginx = Requires.Command("nginx");
        string included = System.IO.Path.Combine(directory, $"server-{Guid.NewGuid():N}.conf");
        File.WriteAllText(included, serverConfig.Replace("/var/log/nginx/", directory + "/", StringComparison.Ordinal));
        string main = System.IO.Path.Combine(directory, "nginx-main.conf");
        File.WriteAllText(main, $$"""
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log;
            events { }
            http {
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{included}};
            }
            """);
        using ExternalProcess check = ExternalProcess.Start(nginx, ["-t", "-p", directory + "/", "-c", main, "-e", System.IO.Path.Combine(directory, "error.log")]);
        Assert.True(check.WaitForExit(TimeSpan.FromSeconds(20)), check.Describe());
        Assert.True(check.ExitCode == 0, check.Describe());
    }
}
