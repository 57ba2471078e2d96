using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

[Collection(RegistryCollection.Name)]
public sealed class CompatibilityModeTests(RegistryFixture fixture)
{
    private const string V1 = "message Order {\n  string id = 1;\n  string note = 2;\n}";
    private const string AddedField = "message Order {\n  string id = 1;\n  string note = 2;\n  int64 total = 3;\n}";
    private const string DeletedField = "message Order {\n  string id = 1;\n}";
    private const string DeletedFieldReserved = "message Order {\n  reserved 2;\n  reserved \"note\";\n  string id = 1;\n}";

    private RegistryService.RegistryServiceClient Client => fixture.Registry.Client;

    [Fact]
    public async Task Backward_AddingAField_IsAccepted()
    {
        var subject = await NewSubjectAsync(CompatibilityMode.Backward, RuleCategory.File, V1);

        var v2 = await RegisterAsync(subject, AddedField);

        Assert.Equal(2, v2.Version);
    }

    [Fact]
    public async Task BackwardFile_DeletingAField_IsRefusedWithBufRule()
    {
        var subject = await NewSubjectAsync(CompatibilityMode.Backward, RuleCategory.File, V1);

        var error = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(subject, DeletedField));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("FIELD_NO_DELETE", error.Status.Detail, StringComparison.Ordinal);
        var failure = error.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>();
        var violation = Assert.Single(failure.Violations);
        Assert.Equal("FIELD_NO_DELETE", violation.Type);
        Assert.StartsWith("acme/orders/v1/orders.proto:", violation.Subject, StringComparison.Ordinal);
        var versions = await Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject }, RegistryHost.Reader);
        Assert.Single(versions.SchemaVersions);
    }

    [Fact]
    public async Task BackwardWire_DeletingAReservedField_IsAcceptedButFileRefusesIt()
    {
        var wire = await NewSubjectAsync(CompatibilityMode.Backward, RuleCategory.Wire, V1);
        var file = await NewSubjectAsync(CompatibilityMode.Backward, RuleCategory.File, V1);
        var candidate = await ProtoSources.MessageAsync(DeletedFieldReserved);

        var wireVerdict = await CheckAsync(wire, candidate);
        var fileVerdict = await CheckAsync(file, candidate);
        var unreserved = await CheckAsync(wire, await ProtoSources.MessageAsync(DeletedField));

        Assert.True(wireVerdict.Compatible, string.Join("; ", wireVerdict.Violations));
        Assert.False(fileVerdict.Compatible);
        Assert.Contains(fileVerdict.Violations, v => v.Rule == "FIELD_NO_DELETE");
        Assert.Contains(unreserved.Violations, v => v.Rule == "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
    }

    [Fact]
    public async Task Transitive_CatchesABreakAgainstVersionOneThatLatestOnlyMisses()
    {
        var subject = await NewSubjectAsync(CompatibilityMode.None, RuleCategory.Wire, "message Order {\n  string id = 1;\n  string code = 2;\n}");
        await RegisterAsync(subject, "message Order {\n  string id = 1;\n}");
        // Field 2 comes back with another wire type: an addition against v2, a break against v1.
        var candidate = await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n  fixed64 code = 2;\n}");

        await SetModeAsync(subject, CompatibilityMode.Backward);
        var latestOnly = await CheckAsync(subject, candidate);
        await SetModeAsync(subject, CompatibilityMode.BackwardTransitive);
        var transitive = await CheckAsync(subject, candidate);

        Assert.True(latestOnly.Compatible, string.Join("; ", latestOnly.Violations));
        Assert.Equal([2], latestOnly.ComparedVersions);
        Assert.False(transitive.Compatible);
        Assert.Equal([1, 2], transitive.ComparedVersions);
        Assert.All(transitive.Violations, v => Assert.Equal(1, v.AgainstVersion));
        Assert.Contains(transitive.Violations, v => v.Rule == "FIELD_WIRE_COMPATIBLE_TYPE");
    }

    [Fact]
    public async Task Forward_CatchesWhatBackwardLetsThrough()
    {
        var backward = await NewSubjectAsync(CompatibilityMode.Backward, RuleCategory.File, V1);
        var forward = await NewSubjectAsync(CompatibilityMode.Forward, RuleCategory.File, V1);
        var full = await NewSubjectAsync(CompatibilityMode.Full, RuleCategory.File, V1);
        var candidate = await ProtoSources.MessageAsync(AddedField);

        var b = await CheckAsync(backward, candidate);
        var f = await CheckAsync(forward, candidate);
        var fu = await CheckAsync(full, candidate);

        Assert.True(b.Compatible);
        Assert.False(f.Compatible);
        Assert.Contains(f.Violations, v => v.Rule == "FIELD_NO_DELETE" && v.Kind == "breaking-forward");
        Assert.False(fu.Compatible);
        Assert.Equal(CompatibilityMode.Forward, f.Compatibility);
    }

    [Fact]
    public async Task ForwardTransitive_ChecksEveryEarlierVersion()
    {
        var subject = await NewSubjectAsync(CompatibilityMode.None, RuleCategory.Wire, V1);
        await RegisterAsync(subject, V1.Replace("note", "memo", StringComparison.Ordinal));
        await SetModeAsync(subject, CompatibilityMode.FullTransitive);

        // WIRE ignores names, so a rename is compatible both ways; an added field is not forward compatible.
        var renamed = await CheckAsync(subject, await ProtoSources.MessageAsync(V1.Replace("note", "remark", StringComparison.Ordinal)));
        var added = await CheckAsync(subject, await ProtoSources.MessageAsync(AddedField));

        Assert.Equal([1, 2], renamed.ComparedVersions);
        Assert.True(renamed.Compatible, string.Join("; ", renamed.Violations));
        Assert.False(added.Compatible);
        Assert.Equal([1, 2], added.Violations.Select(v => v.AgainstVersion).Distinct().Order());
        Assert.All(added.Violations, v => Assert.Equal("breaking-forward", v.Kind));
    }

    [Fact]
    public async Task None_AcceptsAnything()
    {
        var subject = await NewSubjectAsync(CompatibilityMode.None, RuleCategory.File, V1);

        var v2 = await RegisterAsync(subject, "message Invoice {\n  int64 amount = 1;\n}");

        Assert.Equal(2, v2.Version);
    }

    private async Task<string> NewSubjectAsync(CompatibilityMode mode, RuleCategory category, string first)
    {
        var subject = $"subjects/acme.orders.v1-{Guid.NewGuid():N}";
        await RegisterAsync(subject, first);
        await Client.UpdateSubjectAsync(
            new UpdateSubjectRequest
            {
                Subject = new Subject { Name = subject, Compatibility = mode, RuleCategory = category },
                UpdateMask = new FieldMask { Paths = { "compatibility", "rule_category" } },
            },
            RegistryHost.Architect);
        return subject;
    }

    private Task SetModeAsync(string subject, CompatibilityMode mode) =>
        Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, Compatibility = mode }, UpdateMask = new FieldMask { Paths = { "compatibility" } } },
            RegistryHost.Architect).ResponseAsync;

    private async Task<SchemaVersion> RegisterAsync(string subject, string body) =>
        await Client.CreateSchemaVersionAsync(
            new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = await ProtoSources.MessageAsync(body), OwnerTeam = "orders-team" },
            RegistryHost.Architect);

    private async Task<CheckCompatibilityResponse> CheckAsync(string subject, ByteString candidate) =>
        await Client.CheckCompatibilityAsync(new CheckCompatibilityRequest { Parent = subject, FileDescriptorSet = candidate }, RegistryHost.Reader);
}
