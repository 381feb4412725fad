namespace ToaProxy.Capture.Nfqueue;

/// <summary>Kernel-side sizing of a bound queue.</summary>
/// <param name="MaxQueueLength">Packets the kernel holds awaiting a verdict (NFQA_CFG_QUEUE_MAXLEN; kernel default 1024).</param>
/// <param name="SocketReceiveBufferBytes">SO_RCVBUFFORCE of the netlink socket.</param>
/// <param name="FailOpen">When the queue or socket is full: true accepts packets unseen, false drops them (counted; TCP retransmits).</param>
internal readonly record struct NfqueueSocketSettings(uint MaxQueueLength, int SocketReceiveBufferBytes, bool FailOpen);
