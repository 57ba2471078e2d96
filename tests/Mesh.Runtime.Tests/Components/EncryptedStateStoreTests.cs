using System.Security.Cryptography;
using System.Text;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

/// <summary>
/// state.redis with primaryEncryptionKey keeps the state contract (ETags, first-write, TTLs, transactions) and stores
/// every value as daprd does: base64(nonce ‖ ciphertext ‖ tag)||{key name}, AES-GCM, readable after a key rotation.
/// </summary>
public sealed class EncryptedStateStoreTests(RedisFixture redis) : StateStoreContract, IClassFixture<RedisFixture>
{
    private const string KeyName = "state-key-2024";
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] Primary = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Previous = RandomNumberGenerator.GetBytes(16);

    [Fact]
    public async Task SetAsync_Value_IsStoredInDaprsEncryptedFormatAndNeverInPlaintext()
    {
        await using var store = CreateStore();
        var key = Key();

        await store.SetAsync(Set(key, "MRN-000123 secret"), None);

        var stored = (string)(await redis.Database.HashGetAsync(key, "data"))!;
        Assert.DoesNotContain("MRN-000123", stored, StringComparison.Ordinal);
        Assert.EndsWith("||" + KeyName, stored, StringComparison.Ordinal);
        // Decrypted here with the key alone, as daprd would decrypt it: 12-byte nonce, ciphertext, 16-byte tag.
        var sealedValue = Convert.FromBase64String(stored[..stored.LastIndexOf("||", StringComparison.Ordinal)]);
        var plain = new byte[sealedValue.Length - 28];
        using var aes = new AesGcm(Primary, 16);
        aes.Decrypt(sealedValue.AsSpan(0, 12), sealedValue.AsSpan(12, plain.Length), sealedValue.AsSpan(12 + plain.Length), plain);
        Assert.Equal("MRN-000123 secret", Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public async Task SetAsync_SameValueTwice_StoresDifferentCiphertexts()
    {
        await using var store = CreateStore();
        var (a, b) = (Key(), Key());

        await store.SetAsync(Set(a, "same"), None);
        await store.SetAsync(Set(b, "same"), None);

        Assert.NotEqual((string?)await redis.Database.HashGetAsync(a, "data"), (string?)await redis.Database.HashGetAsync(b, "data"));
    }

    [Fact]
    public async Task GetAsync_AfterRotation_OldRecordsReadWithTheSecondaryAndNewOnesUseThePrimary()
    {
        var key = Key();
        await using (var before = Store(("old-key", Previous), null))
        {
            await before.SetAsync(Set(key, "written before the rotation"), None);
        }

        await using var after = Store((KeyName, Primary), ("old-key", Previous));
        var old = await after.GetAsync(key, None);
        await after.SetAsync(Set(key, "rewritten", etag: old!.ETag), None);

        Assert.Equal("written before the rotation", Text(old));
        Assert.EndsWith("||" + KeyName, (string)(await redis.Database.HashGetAsync(key, "data"))!, StringComparison.Ordinal);
        Assert.Equal("rewritten", Text(await after.GetAsync(key, None)));
    }

    [Fact]
    public async Task GetAsync_RecordOfAKeyTheStoreDoesNotHave_IsADecryptionError()
    {
        var key = Key();
        await using (var other = Store(("other-key", Previous), null))
        {
            await other.SetAsync(Set(key, "x"), None);
        }

        await using var store = CreateStore();
        var error = await Assert.ThrowsAsync<StateDecryptionException>(() => store.GetAsync(key, None));

        Assert.Equal($"could not decrypt data for state store statestore: the record's key 'other-key' is neither its primaryEncryptionKey nor its secondaryEncryptionKey", error.Message);
    }

    [Theory]
    [InlineData("plaintext", "encryption key name not found on record")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA||" + KeyName, "cipher: message authentication failed")]
    public async Task GetAsync_RecordThatIsNotDaprsCiphertext_IsADecryptionError(string data, string cause)
    {
        var key = Key();
        await redis.Database.HashSetAsync(key, [new("data", data), new("version", "1")]);
        await using var store = CreateStore();

        var error = await Assert.ThrowsAsync<StateDecryptionException>(() => store.GetAsync(key, None));

        Assert.Equal($"could not decrypt data for state store statestore: {cause}", error.Message);
    }

    [Fact]
    public void Create_KeyAsAPlainValue_IsRefused()
    {
        var definition = TestComponents.Define("statestore", "state.redis", ("redisHost", redis.Server.ConnectionString), ("primaryEncryptionKey", Convert.ToHexString(Primary)));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreateStateStore(definition));

        Assert.Equal("components/test.yaml: component 'statestore': spec.metadata.primaryEncryptionKey must be a secretKeyRef to a secret store, never a value in the file (the key's secret name goes on every record)", error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("00112233445566778899aabbccddee")]
    public void Create_KeyThatIsNotAHexAesKey_IsRefusedWithoutTheKey(string hex)
    {
        var definition = Encrypted(TestComponents.Define("statestore", "state.in-memory", ("primaryEncryptionKey", hex)), ("primaryEncryptionKey", KeyName));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreateStateStore(definition));

        Assert.Equal($"components/test.yaml: component 'statestore': spec.metadata.primaryEncryptionKey key '{KeyName}' of secret '{KeyName}' must be 32, 48 or 64 hex digits (an AES-128, -192 or -256 key)", error.Message);
        Assert.DoesNotContain(hex, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EncryptedOutboxStore_IsRefusedAsDaprdWouldPublishCiphertext()
    {
        var definition = Encrypted(
            TestComponents.Define("statestore", "state.in-memory", ("primaryEncryptionKey", Convert.ToHexString(Primary)), ("outboxPublishPubsub", "pubsub"), ("outboxPublishTopic", "orders")),
            ("primaryEncryptionKey", KeyName));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreateStateStore(definition));

        Assert.StartsWith("components/test.yaml: component 'statestore': spec.metadata.primaryEncryptionKey cannot be combined with outboxPublishPubsub", error.Message, StringComparison.Ordinal);
    }

    protected override IStateStore CreateStore(params (string Name, string Value)[] metadata) => Store((KeyName, Primary), ("old-key", Previous), metadata);

    private IStateStore Store((string Name, byte[] Key) primary, (string Name, byte[] Key)? secondary, params (string Name, string Value)[] metadata)
    {
        var values = new List<(string, string)> { ("redisHost", redis.Server.ConnectionString), ("primaryEncryptionKey", Convert.ToHexString(primary.Key)) };
        var refs = new List<(string, string)> { ("primaryEncryptionKey", primary.Name) };
        if (secondary is { } previous)
        {
            values.Add(("secondaryEncryptionKey", Convert.ToHexStringLower(previous.Key)));
            refs.Add(("secondaryEncryptionKey", previous.Name));
        }

        return ComponentFactory.CreateStateStore(Encrypted(TestComponents.Define("statestore", "state.redis", [.. values, .. metadata]), [.. refs]));
    }

    // What ComponentSecrets leaves: the key's secret name in the reference and its value in the metadata.
    private static ComponentDefinition Encrypted(ComponentDefinition definition, params (string Item, string Secret)[] refs) => definition with
    {
        SecretStore = "secrets",
        SecretRefs = refs.ToDictionary(r => r.Item, r => new SecretKeyRef(r.Secret, "", "components/test.yaml:1:1"), StringComparer.OrdinalIgnoreCase),
    };
}
