using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

/// <summary>The state contract on state.in-memory, whose TTLs run on a fake clock: a key expires exactly at its TTL.</summary>
public sealed class InMemoryStateStoreTests : StateStoreContract
{
    private readonly TestClock clock = new();

    protected override IStateStore CreateStore(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreateStateStore(TestComponents.Define("statestore", "state.in-memory", metadata), clock);

    protected override async Task AssertExpiresAfterAsync(IStateStore store, string key, TimeSpan ttl)
    {
        clock.Advance(ttl - TimeSpan.FromMilliseconds(1));
        var justBefore = await store.GetAsync(key, CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.NotNull(justBefore);
        Assert.Null(await store.GetAsync(key, CancellationToken.None));
    }

    protected override Task ElapseAsync(TimeSpan time)
    {
        clock.Advance(time);
        return Task.CompletedTask;
    }
}
