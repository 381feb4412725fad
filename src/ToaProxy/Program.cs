using System.CommandLine;
using ToaProxy.Cli;
using ToaProxy.Hosting;

SocketCompletionMode.PreferInline();

var configOption = new Option<string>("--config", "-c")
{
    Description = "Path of the JSON configuration file.",
    DefaultValueFactory = _ => "config/toaproxy.json",
};

var root = new RootCommand("toaproxy: the real client address from TOA, delivered to your backend as a PROXY protocol header.")
{
    RunCommand.Create(configOption),
    CheckConfigCommand.Create(configOption),
    DemoCommand.Create(configOption),
    InspectCommand.Create(),
    EmulateCommand.Create(),
    DoctorCommand.Create(configOption),
    FlowsCommand.Create(configOption),
    StatsCommand.Create(configOption),
};

return await root.Parse(args).InvokeAsync();
