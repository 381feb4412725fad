namespace ToaProxy.Capture.Tests;

public sealed class DrainBarrierTests
{
    [Fact]
    public void ReleasesOnlyWaitersRegisteredBeforeTheSnapshot()
    {
        var barrier = new DrainBarrier();
        var before = barrier.Register()!;
        long snapshot = barrier.Snapshot();
        var after = barrier.Register()!;

        barrier.ReleaseThrough(snapshot);

        Assert.True(before.IsCompletedSuccessfully);
        Assert.False(after.IsCompleted);

        barrier.ReleaseThrough(barrier.Snapshot());
        Assert.True(after.IsCompletedSuccessfully);
    }

    [Fact]
    public void ASnapshotWithoutWaitersReleasesNothingLater()
    {
        var barrier = new DrainBarrier();
        long snapshot = barrier.Snapshot();
        var waiter = barrier.Register()!;

        barrier.ReleaseThrough(snapshot);

        Assert.False(waiter.IsCompleted);
    }

    [Fact]
    public void CloseReleasesEveryWaiterAndLaterRegistrationsAreNull()
    {
        var barrier = new DrainBarrier();
        var waiters = Enumerable.Range(0, 5).Select(_ => barrier.Register()!).ToArray();

        barrier.Close();

        Assert.All(waiters, w => Assert.True(w.IsCompletedSuccessfully));
        Assert.Null(barrier.Register());
    }

    [Fact]
    public async Task WaiterContinuationsDoNotRunOnTheReleasingThread()
    {
        var barrier = new DrainBarrier();
        var waiter = barrier.Register()!;
        var continuedOn = waiter.ContinueWith(_ => Environment.CurrentManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);

        // Released from a dedicated thread, like a capture thread: a continuation could only run there inline.
        var capture = new Thread(() => barrier.ReleaseThrough(barrier.Snapshot()));
        capture.Start();
        int captureThread = capture.ManagedThreadId;
        Assert.True(capture.Join(TimeSpan.FromSeconds(5)));

        Assert.NotEqual(captureThread, await continuedOn.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
