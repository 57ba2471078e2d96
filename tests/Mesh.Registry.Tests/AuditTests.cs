using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

/// <summary>The audit interceptor and the store together: one entry per write call, in a stream of bounded length.</summary>
[Collection(RegistryCollection.Name)]
public sealed class AuditTests(RegistryFixture fixture)
{
    private const string Order = "message Order {\n  string id = 1;\n}";

    [Fact]
    public async Task EveryWriteCall_LeavesExactlyOneEntry_WrittenByTheStoreOrTheInterceptor()
    {
        var client = fixture.Registry.Client;
        var subject = $"subjects/acme.orders.v1-{Guid.NewGuid():N}";
        var set = await ProtoSources.MessageAsync(Order);
        var create = new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = set, OwnerTeam = "orders-team" };

        await client.CreateSchemaVersionAsync(create, RegistryHost.Architect);                                   // accepted: in the script
        await client.CreateSchemaVersionAsync(create, RegistryHost.Architect);                                   // unchanged: by the registrar
        await Refused(() => client.CreateSchemaVersionAsync(create, RegistryHost.Reader).ResponseAsync);        // role: by the interceptor
        await Refused(() => client.CreateSchemaVersionAsync(create).ResponseAsync);                              // no token: by the interceptor
        await Refused(() => client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject }, UpdateMask = new FieldMask { Paths = { "nope" } } }, RegistryHost.Architect).ResponseAsync);
        await Refused(() => client.CreateSchemaVersionAsync(
            new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = ByteString.CopyFromUtf8("junk") }, RegistryHost.Architect).ResponseAsync);
        await client.DeleteSchemaVersionAsync(new DeleteSchemaVersionRequest { Name = $"{subject}/versions/1" }, RegistryHost.Architect);
        await Refused(() => client.DeleteSchemaVersionAsync(new DeleteSchemaVersionRequest { Name = $"{subject}/versions/1" }, RegistryHost.Architect).ResponseAsync);
        var audit = await client.ListAuditEntriesAsync(new ListAuditEntriesRequest { Subject = subject }, RegistryHost.Reader);

        Assert.Equal(
            [
                ("DeleteSchemaVersion", "REFUSED", "alice-architect"), ("DeleteSchemaVersion", "ACCEPTED", "alice-architect"),
                ("CreateSchemaVersion", "REFUSED", "alice-architect"), ("UpdateSubject", "REFUSED", "alice-architect"),
                ("CreateSchemaVersion", "REFUSED", "(unauthenticated)"), ("CreateSchemaVersion", "REFUSED", "ci-reader"),
                ("CreateSchemaVersion", "UNCHANGED", "alice-architect"), ("CreateSchemaVersion", "ACCEPTED", "alice-architect"),
            ],
            audit.AuditEntries.Select(e => (e.Action, e.Verdict, e.Principal)));
        Assert.StartsWith("NotFound: ", audit.AuditEntries[0].Detail, StringComparison.Ordinal);
        Assert.StartsWith("Unauthenticated: ", audit.AuditEntries[4].Detail, StringComparison.Ordinal);
        Assert.All(audit.AuditEntries, e => Assert.Equal(subject, e.Subject));
    }

    [Fact]
    public async Task AuditStream_BeyondMaxEntries_KeepsOnlyTheNewest_WhoeverWrites()
    {
        await using var registry = await RegistryHost.StartAsync(
            fixture.Redis.ConnectionString, $"audit-{Guid.NewGuid():N}:", new Dictionary<string, string?> { ["Registry:Audit:MaxEntries"] = "2" });
        var client = registry.Client;
        const string subject = "subjects/acme.orders.v1";
        var v1 = await ProtoSources.MessageAsync(Order);
        var v2 = await ProtoSources.MessageAsync(Order + "\nmessage Note {\n  string text = 1;\n}");
        var lengths = new List<int>();

        // Each step's entry goes through another path: the append script, the compare-and-write script, a plain append.
        Func<Task>[] writes =
        [
            () => client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = v1, OwnerTeam = "t" }, RegistryHost.Architect).ResponseAsync,
            () => UpdateOwnerAsync(client, subject, "a"),
            () => UpdateOwnerAsync(client, subject, "b"),
            () => client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = v2 }, RegistryHost.Architect).ResponseAsync,
            () => Refused(() => client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = v1 }, RegistryHost.Reader).ResponseAsync),
        ];
        foreach (var write in writes)
        {
            await write();
            lengths.Add((await client.ListAuditEntriesAsync(new ListAuditEntriesRequest(), RegistryHost.Reader)).AuditEntries.Count);
        }

        var audit = await client.ListAuditEntriesAsync(new ListAuditEntriesRequest(), RegistryHost.Reader);

        Assert.Equal([1, 2, 2, 2, 2], lengths);
        Assert.Equal([("CreateSchemaVersion", "REFUSED", 0), ("CreateSchemaVersion", "ACCEPTED", 2)], audit.AuditEntries.Select(e => (e.Action, e.Verdict, e.Version)));
    }

    private static Task UpdateOwnerAsync(RegistryService.RegistryServiceClient client, string subject, string team) =>
        client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, OwnerTeam = team }, UpdateMask = new FieldMask { Paths = { "owner_team" } } },
            RegistryHost.Architect).ResponseAsync;

    private static Task<RpcException> Refused(Func<Task> call) => Assert.ThrowsAsync<RpcException>(call);
}
