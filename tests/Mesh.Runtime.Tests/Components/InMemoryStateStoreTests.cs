using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

public sealed class InMemoryStateStoreTests : StateStoreContract
{
    protected override IStateStore CreateStore(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreateStateStore(TestComponents.Define("statestore", "state.in-memory", metadata));
}
