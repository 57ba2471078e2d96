using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Components;

/// <summary>
/// Turns component definitions into state stores, pub/subs and secret stores. Types and versions are matched
/// case-insensitively and the version may be empty, v0 or v1, as in Dapr. Every call returns a new instance
/// (with its own connection, or its own memory); the caller decides what to share.
/// </summary>
public static class ComponentFactory
{
    private static readonly string[] StateStoreTypes = [RedisStateStore.ComponentType, InMemoryStateStore.ComponentType];
    private static readonly string[] PubSubTypes = [RedisStreamsPubSub.ComponentType, InMemoryPubSub.ComponentType];
    private static readonly string[] SecretStoreTypes = [LocalFileSecretStore.ComponentType, EnvSecretStore.ComponentType];

    /// <summary>True for a supported state store type.</summary>
    public static bool IsStateStore(string type) => StateStoreTypes.Contains(type, StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a supported pub/sub type.</summary>
    public static bool IsPubSub(string type) => PubSubTypes.Contains(type, StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a supported secret store type.</summary>
    public static bool IsSecretStore(string type) => SecretStoreTypes.Contains(type, StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the type, version and metadata without connecting to anything.</summary>
    /// <exception cref="ComponentException">The type is unknown, the version or metadata is invalid, or a metadata field is one Mesh does not honour.</exception>
    public static void Validate(ComponentDefinition definition)
    {
        switch (TypeOf(definition))
        {
            case RedisStateStore.ComponentType:
                RedisStateStore.Parse(definition);
                break;
            case InMemoryStateStore.ComponentType:
                InMemoryStateStore.Parse(definition);
                break;
            case RedisStreamsPubSub.ComponentType:
                RedisStreamsPubSub.Parse(definition);
                break;
            case InMemoryPubSub.ComponentType:
                InMemoryPubSub.Parse(definition);
                break;
            case LocalFileSecretStore.ComponentType:
                LocalFileSecretStore.Parse(definition, Directory.GetCurrentDirectory());
                break;
        }

        StateEncryption.Validate(definition);
    }

    /// <summary>Creates the secret store a definition describes, reading what it holds now (a local file store its file).</summary>
    /// <param name="definition">The component.</param>
    /// <param name="baseDirectory">The folder relative paths are read from: the app's folder, where daprd would run.</param>
    /// <exception cref="ComponentException">The definition is not a valid secret store, or its file cannot be read.</exception>
    public static ISecretStore CreateSecretStore(ComponentDefinition definition, string baseDirectory) => TypeOf(definition) switch
    {
        LocalFileSecretStore.ComponentType => new LocalFileSecretStore(definition, baseDirectory),
        EnvSecretStore.ComponentType => new EnvSecretStore(definition),
        var type => throw WrongKind(definition, type, "secret store", SecretStoreTypes),
    };

    /// <summary>
    /// Creates the state store a definition describes; a Redis one connects in the background. A definition with
    /// <c>primaryEncryptionKey</c> (resolved from its secret store) gets a store that encrypts values as daprd does.
    /// </summary>
    /// <param name="definition">The component.</param>
    /// <param name="time">The clock of an in-memory store's TTLs (Redis keeps its own); the system clock by default.</param>
    /// <exception cref="ComponentException">The definition is not a valid state store.</exception>
    public static IStateStore CreateStateStore(ComponentDefinition definition, TimeProvider? time = null)
    {
        IStateStore store = TypeOf(definition) switch
        {
            RedisStateStore.ComponentType => new RedisStateStore(definition),
            InMemoryStateStore.ComponentType => new InMemoryStateStore(definition, time),
            var type => throw WrongKind(definition, type, "state store", StateStoreTypes),
        };
        return StateEncryption.For(definition) is { } encryption ? new EncryptedStateStore(store, encryption) : store;
    }

    /// <summary>Creates the pub/sub a definition describes; a Redis one connects in the background.</summary>
    /// <param name="definition">The component.</param>
    /// <param name="loggerFactory">Logs failures of background work (pubsub.redis reads and redeliveries).</param>
    /// <param name="time">The clock of redeliveries and timeouts; the system clock by default.</param>
    /// <exception cref="ComponentException">The definition is not a valid pub/sub.</exception>
    public static IPubSub CreatePubSub(ComponentDefinition definition, ILoggerFactory? loggerFactory = null, TimeProvider? time = null) => TypeOf(definition) switch
    {
        RedisStreamsPubSub.ComponentType => new RedisStreamsPubSub(definition, loggerFactory?.CreateLogger<RedisStreamsPubSub>(), time),
        InMemoryPubSub.ComponentType => new InMemoryPubSub(definition, time),
        var type => throw WrongKind(definition, type, "pub/sub", PubSubTypes),
    };

    /// <summary>The definition's type in lower case, once it is known to be supported in a supported version.</summary>
    private static string TypeOf(ComponentDefinition definition)
    {
        var type = definition.Type.ToLowerInvariant();
        if (!IsStateStore(type) && !IsPubSub(type) && !IsSecretStore(type))
        {
            throw new ComponentException(
                $"{definition.SourceFile}: component '{definition.Name}' has unknown type '{definition.Type}'; supported: {string.Join(", ", StateStoreTypes.Concat(PubSubTypes).Concat(SecretStoreTypes))}");
        }

        if (definition.Version.ToLowerInvariant() is not ("" or "v0" or "v1"))
        {
            throw new ComponentException(
                $"{definition.SourceFile}: component '{definition.Name}' has unsupported version '{definition.Version}' for {type}; supported: v1");
        }

        MetadataFields.Check(definition, type);
        return type;
    }

    private static ComponentException WrongKind(ComponentDefinition definition, string type, string kind, string[] supported) =>
        new($"{definition.SourceFile}: component '{definition.Name}' has type '{type}', which is not a {kind}; {kind} types: {string.Join(", ", supported)}");
}
