using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

/// <summary>
/// What every secret store does (components-contrib secretstores conformance): a secret reads back as
/// <c>{name: value}</c>, one at a time and in bulk, whatever characters it holds. Each concrete class runs these
/// against one store type.
/// </summary>
public abstract class SecretStoreContract
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <summary>A store of the type under test holding exactly <paramref name="secrets"/> (single-valued).</summary>
    protected abstract ISecretStore CreateStore(IReadOnlyDictionary<string, string> secrets);

    [Fact]
    public async Task GetSecretAsync_StoredSecret_ComesBackUnderItsOwnName()
    {
        var store = CreateStore(new Dictionary<string, string> { ["redis-password"] = "s3cr3t" });

        var secret = await store.GetSecretAsync("redis-password", NoMetadata, CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["redis-password"] = "s3cr3t" }, secret);
    }

    [Fact]
    public async Task GetSecretAsync_AnyCharacters_RoundTrip()
    {
        const string value = "p@ss \"word\" = ü ✓ \\ {json}";
        var store = CreateStore(new Dictionary<string, string> { ["key"] = value });

        var secret = await store.GetSecretAsync("key", NoMetadata, CancellationToken.None);

        Assert.Equal(value, secret["key"]);
    }

    [Fact]
    public async Task BulkGetSecretAsync_StoredSecrets_EachAsItsOwnSecret()
    {
        var store = CreateStore(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });

        var all = await store.BulkGetSecretAsync(NoMetadata, CancellationToken.None);

        Assert.Equal("1", all["a"]["a"]);
        Assert.Equal("2", all["b"]["b"]);
        Assert.Equal([1, 1], new[] { all["a"].Count, all["b"].Count });
    }
}

/// <summary>The secret store contract on secretstores.local.file, plus the file's own rules.</summary>
public sealed class LocalFileSecretStoreTests : SecretStoreContract, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mesh-secrets-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    protected override ISecretStore CreateStore(IReadOnlyDictionary<string, string> secrets) =>
        Store(System.Text.Json.JsonSerializer.Serialize(secrets));

    [Fact]
    public async Task GetSecretAsync_NestedObjectsAndArrays_AreFlattenedWithTheSeparator()
    {
        var store = Store("""{"redis": {"password": "x", "hosts": ["a", "b"]}, "top": "t"}""");

        Assert.Equal("x", (await Get(store, "redis:password"))["redis:password"]);
        Assert.Equal("b", (await Get(store, "redis:hosts:1"))["redis:hosts:1"]);
        Assert.Equal(["redis:hosts:0", "redis:hosts:1", "redis:password", "top"], (await store.BulkGetSecretAsync(new Dictionary<string, string>(), CancellationToken.None)).Keys.Order());
    }

    [Fact]
    public async Task GetSecretAsync_OwnSeparator_IsUsed()
    {
        var store = Store("""{"redis": {"password": "x"}}""", ("nestedSeparator", "."));

        Assert.Equal("x", (await Get(store, "redis.password"))["redis.password"]);
    }

    [Fact]
    public async Task GetSecretAsync_MultiValued_TopLevelKeysAreSecretsWithTheirKeys()
    {
        var store = Store("""{"redis": {"password": "x", "tls": {"ca": "c"}}, "plain": "p", "number": 5}""", ("multiValued", "true"));

        Assert.Equal(new Dictionary<string, string> { ["password"] = "x", ["tls:ca"] = "c" }, await Get(store, "redis"));
        Assert.Equal(new Dictionary<string, string> { ["plain"] = "p" }, await Get(store, "plain"));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => Get(store, "number"));
    }

    [Fact]
    public async Task GetSecretAsync_NonStringLeaf_IsGosPercentSText()
    {
        var store = Store("""{"n": 42, "f": true, "z": null}""");

        Assert.Equal(["%!s(float64=42)", "%!s(bool=true)", "%!s(<nil>)"], [(await Get(store, "n"))["n"], (await Get(store, "f"))["f"], (await Get(store, "z"))["z"]]);
    }

    [Fact]
    public async Task GetSecretAsync_Unknown_IsDaprsNotFound()
    {
        var store = Store("""{"a": "1"}""");

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => Get(store, "b"));

        Assert.Equal("secret b not found", error.Message);
    }

    [Fact]
    public void Create_RelativeFile_IsReadFromTheAppsFolder()
    {
        Directory.CreateDirectory(Path.Combine(folder, "app"));
        File.WriteAllText(Path.Combine(folder, "shared.json"), """{"a": "1"}""");

        var store = ComponentFactory.CreateSecretStore(Definition("../shared.json"), Path.Combine(folder, "app"));

        Assert.NotNull(store);
    }

    [Theory]
    [InlineData(null, "components/test.yaml: component 'secrets': spec.metadata.secretsFile is required: missing local secrets file in metadata")]
    [InlineData("missing.json", "components/test.yaml: component 'secrets': spec.metadata.secretsFile: {folder}/missing.json does not exist")]
    public void Create_NoFile_IsRefusedNamingTheField(string? file, string message)
    {
        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreateSecretStore(Definition(file), folder));

        Assert.Equal(message.Replace("{folder}", folder, StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void Create_TwoEntriesFlattenToOneName_IsRefused()
    {
        var error = Assert.Throws<ComponentException>(() => Store("""{"a:b": "1", "a": {"b": "2"}}"""));

        Assert.EndsWith("two entries of the secrets file flatten to the secret 'a:b'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NotJson_IsRefusedWithoutTheContent()
    {
        var error = Assert.Throws<ComponentException>(() => Store("{\"a\": \"s3cr3t\""));

        Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    private static Task<IReadOnlyDictionary<string, string>> Get(ISecretStore store, string name) =>
        store.GetSecretAsync(name, new Dictionary<string, string>(), CancellationToken.None);

    private ISecretStore Store(string json, params (string Name, string Value)[] metadata)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return ComponentFactory.CreateSecretStore(TestComponents.Define("secrets", "secretstores.local.file", [("secretsFile", path), .. metadata]), folder);
    }

    private static ComponentDefinition Definition(string? file) =>
        TestComponents.Define("secrets", "secretstores.local.file", file is null ? [] : [("secretsFile", file)]);
}

/// <summary>The secret store contract on secretstores.local.env, plus its rules for prefixes and the sidecar's tokens.</summary>
public sealed class EnvSecretStoreTests : SecretStoreContract, IDisposable
{
    private readonly string prefix = $"MESH_TEST_{Guid.NewGuid():N}_";
    private readonly List<string> set = [];

    public void Dispose()
    {
        foreach (var variable in set)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    protected override ISecretStore CreateStore(IReadOnlyDictionary<string, string> secrets)
    {
        foreach (var (name, value) in secrets)
        {
            Set(prefix + name, value);
        }

        return ComponentFactory.CreateSecretStore(TestComponents.Define("env", "secretstores.local.env", ("prefix", prefix)), Directory.GetCurrentDirectory());
    }

    [Fact]
    public async Task GetSecretAsync_Unset_IsEmptyNotAnError()
    {
        var store = CreateStore(new Dictionary<string, string>());

        Assert.Equal(new Dictionary<string, string> { ["nothing"] = "" }, await store.GetSecretAsync("nothing", new Dictionary<string, string>(), CancellationToken.None));
    }

    [Theory]
    [InlineData("DAPR_MESH_TEST_")]
    [InlineData("dapr_mesh_test_")]
    public async Task GetSecretAsync_DaprVariables_AreNeverGivenOut(string name)
    {
        // Tests share this process's environment, so a DAPR_* variable of their own stands for DAPR_API_TOKEN.
        var variable = name + Guid.NewGuid().ToString("N");
        Set(variable, "token-value");
        var store = ComponentFactory.CreateSecretStore(TestComponents.Define("env", "secretstores.local.env"), Directory.GetCurrentDirectory());

        var secret = await store.GetSecretAsync(variable, new Dictionary<string, string>(), CancellationToken.None);
        var all = await store.BulkGetSecretAsync(new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal("", secret[variable]);
        Assert.False(all.ContainsKey(variable));
    }

    [Theory]
    [InlineData("APP_API_TOKEN", false)]
    [InlineData("app_api_token", false)]
    [InlineData("DAPR_API_TOKEN", false)]
    [InlineData("APP_API_TOKENS", true)]
    [InlineData("MY_DAPR_HOST", true)]
    public void IsAllowed_TheAppAndSidecarTokens_AreNot(string variable, bool allowed)
    {
        Assert.Equal(allowed, EnvSecretStore.IsAllowed(variable));
    }

    [Fact]
    public async Task BulkGetSecretAsync_Prefix_OnlyItsVariablesWithoutThePrefix()
    {
        var store = CreateStore(new Dictionary<string, string> { ["one"] = "1" });
        Set("MESH_OTHER_" + Guid.NewGuid().ToString("N"), "x");

        var all = await store.BulkGetSecretAsync(new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(["one"], all.Keys);
    }

    private void Set(string variable, string value)
    {
        Environment.SetEnvironmentVariable(variable, value);
        set.Add(variable);
    }
}
