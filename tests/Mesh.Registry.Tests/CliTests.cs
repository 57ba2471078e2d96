using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Mesh.Registry.Cli;
using Mesh.Testing;

namespace Mesh.Registry.Tests;

/// <summary>The mesh-registry CLI against a real registry, on the repository's own proto/.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private RedisServer redis = null!;
    private RegistryHost registry = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        registry = await RegistryHost.StartAsync(redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await registry.DisposeAsync();
        await redis.DisposeAsync();
    }

    [Fact]
    public async Task PushOwnProto_ThenCheckABreakingEdit_IsRefusedWithBufRuleId()
    {
        var root = ProtoSources.RepositoryRoot;
        var copy = CopyWorkspace(root);
        try
        {
            // The repository's lint exceptions (buf.yaml) are the registry's default here too.
            await registry.Client.UpdateRegistryConfigAsync(
                new UpdateRegistryConfigRequest
                {
                    Config = new RegistryConfig { Lint = new LintPolicy { Enabled = true, Use = { "STANDARD" }, Except = { "RPC_RESPONSE_STANDARD_NAME", "RPC_REQUEST_RESPONSE_UNIQUE" } } },
                    UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "lint" } },
                },
                RegistryHost.Architect);

            var (pushed, pushOutput) = await RunCliAsync("push", Path.Combine(copy, "proto"), "--token", RegistryHost.ArchitectToken);
            var (unchanged, _) = await RunCliAsync("check", Path.Combine(copy, "proto"), "--token", RegistryHost.ReaderToken);
            var stock = Path.Combine(copy, "proto/mesh/inventory/v1/stock_movement.proto");
            var text = await File.ReadAllTextAsync(stock);
            var start = text.IndexOf("  // The movement this one reverses", StringComparison.Ordinal);
            var end = text.IndexOf("  // The business document", StringComparison.Ordinal);
            await File.WriteAllTextAsync(stock, text.Remove(start, end - start));
            var (broken, brokenOutput) = await RunCliAsync("check", Path.Combine(copy, "proto"), "--token", RegistryHost.ReaderToken);
            var (refused, _) = await RunCliAsync("push", Path.Combine(copy, "proto"), "--token", RegistryHost.ArchitectToken);
            var (listed, listOutput) = await RunCliAsync("list", "--token", RegistryHost.ReaderToken);

            Assert.True(pushed == RegistryCli.Ok, pushOutput);
            Assert.Contains("ok   subjects/mesh.inventory.v1/versions/1", pushOutput, StringComparison.Ordinal);
            Assert.Equal(RegistryCli.Ok, unchanged);
            Assert.Equal(RegistryCli.Incompatible, broken);
            Assert.Contains("FAIL subjects/mesh.inventory.v1", brokenOutput, StringComparison.Ordinal);
            Assert.Contains("FIELD_NO_DELETE", brokenOutput, StringComparison.Ordinal);
            Assert.Contains("mesh/inventory/v1/stock_movement.proto", brokenOutput, StringComparison.Ordinal);
            Assert.Equal(RegistryCli.Incompatible, refused);
            Assert.Equal(RegistryCli.Ok, listed);
            Assert.Contains("subjects/mesh.type.v1", listOutput, StringComparison.Ordinal);
            Assert.Contains("subjects/mesh.registry.v1", listOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Diff_ShowsAddedField()
    {
        var first = await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n}");
        var second = await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n  int64 total = 2;\n}");
        foreach (var set in new[] { first, second })
        {
            await registry.Client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = "subjects/acme.orders.v1", FileDescriptorSet = set, OwnerTeam = "o" }, RegistryHost.Architect);
        }

        var (code, output) = await RunCliAsync("diff", "acme.orders.v1", "1", "latest", "--token", RegistryHost.ReaderToken);

        Assert.Equal(RegistryCli.Ok, code);
        Assert.Contains("1 change(s)", output, StringComparison.Ordinal);
        Assert.Contains("+ field acme.orders.v1.Order.total = 2 optional int64", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingToken_ExitsTwoWithTheStatus()
    {
        var (code, output) = await RunCliAsync("list");

        Assert.Equal(RegistryCli.Failed, code);
        Assert.Contains($"{StatusCode.Unauthenticated}", output, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await RegistryCli.RunAsync([.. args, "--registry", registry.Address.ToString()], output, output);
        return (code, output.ToString());
    }

    private static string CopyWorkspace(string root)
    {
        var copy = Directory.CreateTempSubdirectory("mesh-workspace-").FullName;
        File.Copy(Path.Combine(root, "buf.yaml"), Path.Combine(copy, "buf.yaml"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "proto", "mesh"), "*.proto", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Directory.CreateSymbolicLink(Path.Combine(copy, "node_modules"), Path.Combine(root, "node_modules"));
        return copy;
    }
}
