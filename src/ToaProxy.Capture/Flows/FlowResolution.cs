namespace ToaProxy.Capture.Flows;

/// <summary>The flow table's answer for one accepted connection.</summary>
public readonly record struct FlowResolution(FlowResolutionStatus Status, ToaClient Client, TimeSpan Waited)
{
    public bool IsFound => Status == FlowResolutionStatus.Found;
}
