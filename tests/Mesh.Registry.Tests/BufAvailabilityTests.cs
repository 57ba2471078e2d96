using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Contracts.Registry.V1;

namespace Mesh.Registry.Tests;

/// <summary>Without a working buf the registry says so: not ready, and UNAVAILABLE naming the tool and its setting.</summary>
[Collection(RegistryCollection.Name)]
public sealed class BufAvailabilityTests(RegistryFixture fixture)
{
    public static TheoryData<string> BrokenBufPaths => new() { "missing", "not-executable", "not-buf" };

    [Theory]
    [MemberData(nameof(BrokenBufPaths))]
    public async Task BrokenBufPath_FailsHealthAndAnswersUnavailable(string kind)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-buf-").FullName;
        try
        {
            var path = kind switch
            {
                "missing" => Path.Combine(folder, "no-such-dir", "buf"),
                "not-executable" => Path.Combine(folder, "buf"),
                _ => "/bin/false",
            };
            await File.WriteAllTextAsync(Path.Combine(folder, "buf"), "not a program");
            await using var registry = await RegistryHost.StartAsync(
                fixture.Redis.ConnectionString, $"buf-{Guid.NewGuid():N}:", new Dictionary<string, string?> { ["Registry:Buf:Path"] = path });
            using var channel = GrpcChannel.ForAddress(registry.Address);
            using var http = new HttpClient { BaseAddress = registry.Address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            var set = await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n}");

            var grpcHealth = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            var httpHealth = await http.GetAsync("/health");
            var create = await Assert.ThrowsAsync<RpcException>(() => registry.Client.CreateSchemaVersionAsync(
                new CreateSchemaVersionRequest { Parent = "subjects/acme.orders.v1", FileDescriptorSet = set, OwnerTeam = "t" }, RegistryHost.Architect).ResponseAsync);
            var check = await Assert.ThrowsAsync<RpcException>(() => registry.Client.CheckCompatibilityAsync(
                new CheckCompatibilityRequest { Parent = "subjects/acme.orders.v1", FileDescriptorSet = set }, RegistryHost.Reader).ResponseAsync);
            var audit = await registry.Client.ListAuditEntriesAsync(new ListAuditEntriesRequest(), RegistryHost.Reader);

            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcHealth.Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, httpHealth.StatusCode);
            foreach (var error in new[] { create, check })
            {
                Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                Assert.Contains("buf CLI", error.Status.Detail, StringComparison.Ordinal);
                Assert.Contains("Registry:Buf:Path", error.Status.Detail, StringComparison.Ordinal);
                Assert.DoesNotContain(folder, error.Status.Detail, StringComparison.Ordinal);
            }

            var entry = Assert.Single(audit.AuditEntries);
            Assert.Equal(("REFUSED", "subjects/acme.orders.v1"), (entry.Verdict, entry.Subject));
            Assert.StartsWith("Unavailable: ", entry.Detail, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
