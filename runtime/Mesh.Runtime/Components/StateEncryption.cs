using System.Security.Cryptography;
using System.Text;

namespace Mesh.Runtime.Components;

/// <summary>
/// Automatic state encryption as daprd does it (dapr/dapr <c>pkg/encryption</c>): a state store with
/// <c>primaryEncryptionKey</c> (and optionally <c>secondaryEncryptionKey</c>), each a <c>secretKeyRef</c> to a hex AES
/// key of 16, 24 or 32 bytes in the store's <c>auth.secretStore</c>. Values are written as
/// <c>base64(nonce ‖ ciphertext ‖ tag)||{name}</c> with AES-GCM (12-byte nonce, 16-byte tag) under the primary key, where
/// {name} is the key's secret name; a value is read with the key its record names, so after a rotation (the old
/// primary becomes the secondary) old records stay readable until they are written again.
/// </summary>
/// <remarks>
/// daprd silently stores plaintext when the key is given as a plain value or the store has no auth.secretStore; Mesh
/// refuses both, so a store that reads as encrypted is encrypted.
/// </remarks>
public sealed class StateEncryption
{
    /// <summary>The metadata item of the key values are written with.</summary>
    public const string PrimaryKey = "primaryEncryptionKey";

    /// <summary>The metadata item of the previous key, still used to read.</summary>
    public const string SecondaryKey = "secondaryEncryptionKey";

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Separator = "||"u8.ToArray();

    private readonly string store;
    private readonly (string Name, byte[] Key) primary;
    private readonly (string Name, byte[] Key)? secondary;

    private StateEncryption(string store, (string, byte[]) primary, (string, byte[])? secondary)
    {
        this.store = store;
        this.primary = primary;
        this.secondary = secondary;
    }

    /// <summary>The name of the key new values are written with.</summary>
    public string PrimaryName => primary.Name;

    /// <summary>Checks how a state store gives its keys, before anything is resolved.</summary>
    /// <exception cref="ComponentException">A key is a plain value, or there is no secret store to read it from.</exception>
    public static void Validate(ComponentDefinition definition)
    {
        foreach (var item in new[] { PrimaryKey, SecondaryKey })
        {
            if (definition.SecretRefs.ContainsKey(item))
            {
                if (string.IsNullOrEmpty(definition.SecretStore))
                {
                    throw Invalid(definition, item, "needs auth.secretStore naming the secret store that holds the key (daprd would store plaintext)");
                }
            }
            else if (definition.Metadata.TryGetValue(item, out var value) && value.Length > 0)
            {
                throw Invalid(definition, item, "must be a secretKeyRef to a secret store, never a value in the file (the key's secret name goes on every record)");
            }
        }

        if (definition.SecretRefs.ContainsKey(SecondaryKey) && !definition.SecretRefs.ContainsKey(PrimaryKey))
        {
            throw Invalid(definition, SecondaryKey, $"is given without {PrimaryKey}");
        }

        // daprd encrypts a transaction's values before its outbox publishes them, so such a store sends ciphertext as
        // its events; Mesh refuses the pair rather than publish what daprd would not.
        if (definition.SecretRefs.ContainsKey(PrimaryKey) && definition.Metadata.ContainsKey("outboxPublishPubsub"))
        {
            throw Invalid(definition, PrimaryKey, "cannot be combined with outboxPublishPubsub: daprd encrypts before its outbox publishes, so the events would be ciphertext; keep encrypted state in a store without an outbox");
        }
    }

    /// <summary>The encryption of a resolved state store definition, or null when it has no primaryEncryptionKey.</summary>
    /// <exception cref="ComponentException">A key is not resolved or not a hex AES key.</exception>
    public static StateEncryption? For(ComponentDefinition definition)
    {
        Validate(definition);
        if (!definition.SecretRefs.TryGetValue(PrimaryKey, out var primaryRef))
        {
            return null;
        }

        return new StateEncryption(
            definition.Name,
            (primaryRef.Name, KeyOf(definition, PrimaryKey, primaryRef)),
            definition.SecretRefs.TryGetValue(SecondaryKey, out var secondaryRef) ? (secondaryRef.Name, KeyOf(definition, SecondaryKey, secondaryRef)) : null);
    }

    /// <summary>The stored form of <paramref name="value"/>: encrypted with the primary key and named after it.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> value)
    {
        var sealedValue = new byte[NonceSize + value.Length + TagSize];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(primary.Key, TagSize);
        aes.Encrypt(nonce, value, sealedValue.AsSpan(NonceSize, value.Length), sealedValue.AsSpan(NonceSize + value.Length));
        return Encoding.UTF8.GetBytes($"{Convert.ToBase64String(sealedValue)}||{primary.Name}");
    }

    /// <summary>The value a stored record holds, decrypted with the key the record names.</summary>
    /// <exception cref="StateDecryptionException">The record names no key this store has, or does not decrypt with it.</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> stored)
    {
        if (stored.IsEmpty)
        {
            return [];
        }

        var at = stored.LastIndexOf(Separator);
        if (at < 0 || at + Separator.Length == stored.Length)
        {
            throw new StateDecryptionException($"could not decrypt data for state store {store}: encryption key name not found on record");
        }

        var name = Encoding.UTF8.GetString(stored[(at + Separator.Length)..]);
        var key = name == primary.Name ? primary.Key
            : secondary is { } previous && name == previous.Name ? previous.Key
            : throw new StateDecryptionException($"could not decrypt data for state store {store}: the record's key '{name}' is neither its {PrimaryKey} nor its {SecondaryKey}");
        byte[] sealedValue;
        try
        {
            sealedValue = Convert.FromBase64String(Encoding.UTF8.GetString(stored[..at]));
        }
        catch (FormatException)
        {
            throw new StateDecryptionException($"could not decrypt data for state store {store}: the record is not base64");
        }

        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new StateDecryptionException($"could not decrypt data for state store {store}: cipher: message authentication failed");
        }

        var plain = new byte[sealedValue.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize, plain.Length), sealedValue.AsSpan(NonceSize + plain.Length), plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new StateDecryptionException($"could not decrypt data for state store {store}: cipher: message authentication failed");
        }

        return plain;
    }

    private static byte[] KeyOf(ComponentDefinition definition, string item, SecretKeyRef reference)
    {
        if (!definition.Metadata.TryGetValue(item, out var hex) || hex.Length == 0)
        {
            throw Invalid(definition, item, $"was not read from secret store '{definition.SecretStore}' (resolve the component's secrets first)");
        }

        try
        {
            var key = Convert.FromHexString(hex);
            return key.Length is 16 or 24 or 32 ? key : throw new FormatException();
        }
        catch (FormatException)
        {
            throw Invalid(definition, item, $"key '{reference.EffectiveKey}' of secret '{reference.Name}' must be 32, 48 or 64 hex digits (an AES-128, -192 or -256 key)");
        }
    }

    private static ComponentException Invalid(ComponentDefinition definition, string item, string problem) =>
        new($"{definition.SourceFile}: component '{definition.Name}': spec.metadata.{item} {problem}");
}

/// <summary>A stored value could not be decrypted; the message is daprd's, and never holds the value.</summary>
public sealed class StateDecryptionException(string message) : Exception(message);
