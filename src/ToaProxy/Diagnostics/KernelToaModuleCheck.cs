namespace ToaProxy.Diagnostics;

/// <summary>
/// Warns when a TOA kernel module (toa.ko and its vendors' variants) is loaded: it rewrites the peer
/// address of accepted sockets to the TOA client, so toaproxy's connections no longer match the
/// packets it captured and fall back to WithoutToa.
/// </summary>
public static class KernelToaModuleCheck
{
    private const string Name = "kernel-toa";

    public static CheckResult Run(string modulesPath = "/proc/modules", string sysModulePath = "/sys/module")
    {
        List<string>? loaded = null;
        if (File.Exists(modulesPath))
        {
            loaded = [.. File.ReadLines(modulesPath).Select(l => l.Split(' ')[0]).Where(IsToaModule)];
        }
        else if (Directory.Exists(sysModulePath))
        {
            loaded = [.. Directory.EnumerateDirectories(sysModulePath).Select(Path.GetFileName).OfType<string>().Where(IsToaModule)];
        }

        if (loaded is null)
        {
            return CheckResult.Warn(Name, $"cannot tell whether a toa module is loaded ({modulesPath} and {sysModulePath} are missing; a container?)", "on the host, run: lsmod | grep toa");
        }

        if (loaded.Count == 0)
        {
            return CheckResult.Ok(Name, "no toa kernel module loaded");
        }

        return CheckResult.Warn(
            Name,
            $"kernel module {string.Join(", ", loaded)} is loaded: it changes the peer address of accepted connections to the TOA client, so toaproxy's connections stop matching the captured packets",
            "once your applications read the PROXY header (docs/migration-from-toa.md): rmmod " + loaded[0] + ", and remove it from /etc/modules-load.d");
    }

    /// <summary>toa, vtoa, ctk_toa, toa_nat64 ...: a name part equal to toa or vtoa.</summary>
    private static bool IsToaModule(string name) => name.Split('_').Any(part => part is "toa" or "vtoa");
}
