using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapr.Client;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Component files as a user writes them: a secretstores.local.file store, a state.redis store whose
/// primaryEncryptionKey is a secretKeyRef to it, and secret scopes in the app's Configuration. The stock SDK reads
/// secrets through the Secrets API and state through the state API, and Redis holds only daprd's ciphertext.
/// </summary>
public sealed class SecretsAndEncryptionThroughSidecarTests(SecretsAndEncryptionThroughSidecarTests.Testbed bed) : IClassFixture<SecretsAndEncryptionThroughSidecarTests.Testbed>
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task GetSecret_FlatAndNested_ComeBackUnderTheirNames()
    {
        var secret = await bed.Client.GetSecretAsync("localsecretstore", "redis:password");

        Assert.Equal(new Dictionary<string, string> { ["redis:password"] = "p4ss" }, secret);
    }

    [Fact]
    public async Task GetBulkSecret_LeavesOutWhatTheScopesDeny()
    {
        var all = await bed.Client.GetBulkSecretAsync("localsecretstore");

        Assert.Equal(["redis:password", "state-key"], all.Keys.Order());
    }

    [Fact]
    public async Task GetSecret_DeniedByScope_PermissionDeniedAnd403()
    {
        var error = await GrpcErrorAsync(() => bed.Client.GetSecretAsync("localsecretstore", "signing-key"));
        using var response = await GetAsync("/v1.0/secrets/localsecretstore/signing-key");

        Assert.Equal((StatusCode.PermissionDenied, "access denied by policy to get \"signing-key\" from \"localsecretstore\""), (error.StatusCode, error.Status.Detail));
        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "ERR_PERMISSION_DENIED");
    }

    [Fact]
    public async Task GetSecret_UnknownStore_InvalidArgumentAnd401()
    {
        var error = await GrpcErrorAsync(() => bed.Client.GetSecretAsync("vault", "x"));
        using var response = await GetAsync("/v1.0/secrets/vault/x");

        Assert.Equal((StatusCode.InvalidArgument, "failed finding secret store with key vault"), (error.StatusCode, error.Status.Detail));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "ERR_SECRET_STORE_NOT_FOUND");
    }

    [Fact]
    public async Task GetSecret_UnknownSecret_InternalAnd500WithTheStoresMessage()
    {
        var error = await GrpcErrorAsync(() => bed.Client.GetSecretAsync("localsecretstore", "nope"));
        using var response = await GetAsync("/v1.0/secrets/localsecretstore/nope");

        Assert.Equal((StatusCode.Internal, "failed getting secret with key nope from secret store localsecretstore: secret nope not found"), (error.StatusCode, error.Status.Detail));
        await AssertErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_SECRET_GET");
    }

    [Fact]
    public async Task GetSecretOverHttp_IsTheMapOfTheSecret()
    {
        using var response = await GetAsync("/v1.0/secrets/localsecretstore/state-key");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(bed.Key), (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["state-key"]);
    }

    [Fact]
    public async Task SaveState_IsCiphertextInRedisAndPlainThroughTheApi()
    {
        await bed.Client.SaveStateAsync("statestore", "patient-link", new { mrn = "MRN-7781" });

        var stored = (string)(await bed.Redis.HashGetAsync("vault-app||patient-link", "data"))!;
        Assert.DoesNotContain("MRN-7781", stored, StringComparison.Ordinal);
        Assert.EndsWith("||state-key", stored, StringComparison.Ordinal);
        Assert.Equal("MRN-7781", (await bed.Client.GetStateAsync<JsonObject>("statestore", "patient-link"))!["mrn"]!.GetValue<string>());
    }

    [Fact]
    public async Task Transaction_UpsertsAreEncryptedAndReadBack()
    {
        await bed.Client.ExecuteStateTransactionAsync("statestore",
        [
            new StateTransactionRequest("tx-a", Encoding.UTF8.GetBytes("\"MRN-1\""), StateOperationType.Upsert),
            new StateTransactionRequest("tx-b", Encoding.UTF8.GetBytes("\"MRN-2\""), StateOperationType.Upsert),
        ]);

        Assert.DoesNotContain("MRN-", (string)(await bed.Redis.HashGetAsync("vault-app||tx-a", "data"))!, StringComparison.Ordinal);
        var items = await bed.Client.GetBulkStateAsync("statestore", ["tx-a", "tx-b"], parallelism: 2);
        Assert.Equal(["\"MRN-1\"", "\"MRN-2\""], items.OrderBy(i => i.Key).Select(i => i.Value));
    }

    [Fact]
    public async Task SaveStateOverHttp_AJsonString_ReadsBackAsItsTextAsInDaprd()
    {
        using var save = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{bed.Sidecar.HttpPort}/v1.0/state/statestore") { Content = JsonContent.Create(new[] { new { key = "key1", value = "value1" } }) };
        (await Http.SendAsync(save)).EnsureSuccessStatusCode();

        using var response = await GetAsync("/v1.0/state/statestore/key1");

        Assert.Equal("value1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetState_RecordThatDoesNotDecrypt_IsInternalWithDaprsMessage()
    {
        await bed.Redis.HashSetAsync("vault-app||tampered", [new("data", "bm90IGEgcmVhbCByZWNvcmQgYXQgYWxsIGhlcmU=||state-key"), new("version", "1")]);

        var error = await GrpcErrorAsync(() => bed.Client.GetStateAsync<string>("statestore", "tampered"));

        Assert.Equal((StatusCode.Internal, "fail to get tampered from state store statestore: could not decrypt data for state store statestore: cipher: message authentication failed"), (error.StatusCode, error.Status.Detail));
    }

    private static async Task<RpcException> GrpcErrorAsync(Func<Task> call) =>
        Assert.IsType<RpcException>((await Assert.ThrowsAnyAsync<Dapr.DaprException>(call)).InnerException);

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(errorCode, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["errorCode"]);
    }

    private Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync($"http://127.0.0.1:{bed.Sidecar.HttpPort}{path}");

    /// <summary>Redis, the component files and one sidecar (app "vault-app", no app of its own), for the class.</summary>
    public sealed class Testbed : IAsyncLifetime
    {
        private readonly TempFolder folder = new();
        private readonly List<IAsyncDisposable> owned = [];
        private RedisServer redis = null!;
        private ConnectionMultiplexer connection = null!;

        public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);

        public IDatabase Redis => connection.GetDatabase();

        public DaprSidecar Sidecar { get; private set; } = null!;

        public DaprClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            redis = await RedisServer.StartAsync();
            connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            folder.Write("app/secrets.json", $$"""{"redis": {"password": "p4ss"}, "state-key": "{{Convert.ToHexStringLower(Key)}}", "signing-key": "k"}""");
            folder.Write("components/secretstore.yaml", """
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: localsecretstore
                spec:
                  type: secretstores.local.file
                  metadata:
                    - name: secretsFile
                      value: secrets.json
                """);
            folder.Write("components/statestore.yaml", $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: statestore
                spec:
                  type: state.redis
                  metadata:
                    - name: redisHost
                      value: {redis.ConnectionString}
                    - name: primaryEncryptionKey
                      secretKeyRef:
                        name: state-key
                auth:
                  secretStore: localsecretstore
                """);
            var configuration = DaprConfigurationLoader.Load(folder.Write("config.yaml", """
                apiVersion: dapr.io/v1alpha1
                kind: Configuration
                metadata:
                  name: vault-app
                spec:
                  secrets:
                    scopes:
                      - storeName: localsecretstore
                        deniedSecrets: ["signing-key"]
                """));
            var (loaded, resiliency) = ResourceLoader.Load([Path.Combine(folder.Path, "components")], "vault-app");
            var resolved = await ComponentSecrets.ResolveAsync(loaded, Path.Combine(folder.Path, "app"), CancellationToken.None);
            var store = ComponentFactory.CreateStateStore(resolved.Components.Single(c => c.Name == "statestore"));
            owned.Add(store);
            var directory = new AppDirectory();
            var app = new AppEndpoint("vault-app", "127.0.0.1", 0, "http");
            directory.Register(app);
            Sidecar = await DaprSidecar.StartAsync(
                new SidecarSettings(app, 0, 0, new Dictionary<string, IStateStore> { ["statestore"] = store }, new Dictionary<string, IPubSub>(), resolved.Components, resiliency, directory, configuration)
                {
                    SecretStores = resolved.SecretStores,
                },
                NullLoggerFactory.Instance,
                CancellationToken.None);
            owned.Add(Sidecar);
            Client = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{Sidecar.GrpcPort}").UseHttpEndpoint($"http://127.0.0.1:{Sidecar.HttpPort}").Build();
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            foreach (var item in Enumerable.Reverse(owned))
            {
                await item.DisposeAsync();
            }

            await connection.DisposeAsync();
            await redis.DisposeAsync();
            folder.Dispose();
        }
    }
}
