using Mesh.Runtime.Components;
using YamlDotNet.RepresentationModel;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Reads the Dapr resource files one app sees: every *.yaml / *.yml of its resource folders (files in
/// name order, folders in the given order), keeping <c>Component</c>, <c>Resiliency</c> and <c>Subscription</c>
/// documents and ignoring other kinds (Configuration, HTTPEndpoint, non-Dapr YAML). As daprd does, a
/// component or subscription whose scopes leave the app out is skipped, and a second component of the same
/// name is an error. Unlike daprd, which logs and skips a bad file, every problem is a <see cref="ConfigurationException"/>.
/// </summary>
public static class ResourceLoader
{
    /// <summary>The apiVersion of Dapr's Component and Resiliency resources.</summary>
    public const string ApiVersion = "dapr.io/v1alpha1";

    private static readonly string[] ComponentFields = ["apiVersion", "kind", "metadata", "spec", "scopes", "auth"];
    private static readonly string[] ComponentSpecFields = ["type", "version", "metadata", "ignoreErrors", "initTimeout"];
    private static readonly string[] MetadataItemFields = ["name", "value", "secretKeyRef", "envRef"];
    private static readonly string[] SecretKeyRefFields = ["name", "key"];
    private static readonly string[] AuthFields = ["secretStore"];

    /// <summary>Loads the components visible to <paramref name="appId"/> and the resiliency policies that apply to it.</summary>
    /// <param name="folders">Resource folders in lookup order (<see cref="AppSpec.ResourcesPaths"/>).</param>
    /// <param name="appId">The app whose view is loaded (scopes).</param>
    /// <returns>The components in file order, every Resiliency document merged (<see cref="ResiliencySpec.None"/> when
    /// there is none), and the app's declarative subscriptions in file order.</returns>
    public static LoadedResources Load(IReadOnlyList<string> folders, string appId)
    {
        var components = new List<ComponentDefinition>();
        var definedAt = new Dictionary<string, string>(StringComparer.Ordinal);
        var resiliency = new ResiliencyReader(appId);
        var subscriptions = new SubscriptionReader(appId);
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                throw new ConfigurationException($"{folder}: resources folder does not exist");
            }

            foreach (var path in Directory.EnumerateFiles(folder).Where(IsYaml).Order(StringComparer.Ordinal))
            {
                var file = YamlFile.Load(path, "resource file");
                foreach (var document in file.Documents)
                {
                    if (document.RootNode is not YamlMappingNode)
                    {
                        continue;
                    }

                    var root = YamlMap.Of(file, document.RootNode, document.RootNode, "");
                    switch (KindOf(root, out var apiVersion))
                    {
                        case "Component":
                            var (component, nameNode) = ReadComponent(root);

                            // daprd's disk loader: a name already taken by a component the app sees is an error.
                            if (definedAt.TryGetValue(component.Name, out var earlier))
                            {
                                throw file.Error(nameNode, $"metadata.name: component '{component.Name}' is already defined at {earlier}");
                            }

                            if (component.IsVisibleTo(appId))
                            {
                                definedAt[component.Name] = file.Where(nameNode);
                                components.Add(component);
                            }

                            break;
                        case "Resiliency":
                            resiliency.Read(root);
                            break;
                        case "Subscription":
                            subscriptions.Read(root, apiVersion);
                            break;
                    }
                }
            }
        }

        return new LoadedResources(components, resiliency.Build(components), subscriptions.Build(components));
    }

    // daprd's envRef rule: the sidecar's and the app's tokens are never handed to a component; Mesh refuses the reference
    // where daprd logs a warning and leaves the value empty.
    private static string EnvironmentValue(YamlMap item)
    {
        var variable = item.RequiredText("envRef");
        if (!Components.EnvSecretStore.IsAllowed(variable) || variable.Contains(' ', StringComparison.Ordinal))
        {
            throw item.Error("envRef", $"'{variable}' may not be read by a component (APP_API_TOKEN and DAPR_* are the sidecar's own)");
        }

        return Environment.GetEnvironmentVariable(variable) ?? "";
    }

    /// <summary>metadata.name of a resource, checked as daprd checks it (a path segment name).</summary>
    internal static (string Name, YamlNode Node) ReadName(YamlMap root)
    {
        var metadata = root.Map("metadata") ?? throw root.Missing("metadata.name");
        var name = metadata.RequiredText("name");
        if (name is "." or ".." || name.AsSpan().IndexOfAny('/', '%') >= 0)
        {
            throw metadata.Error("name", $"'{name}' is not a valid name (no '/', '%', '.' or '..')");
        }

        return (name, metadata.Value("name")!);
    }

    private static bool IsYaml(string path) =>
        Path.GetExtension(path).Equals(".yaml", StringComparison.OrdinalIgnoreCase)
        || Path.GetExtension(path).Equals(".yml", StringComparison.OrdinalIgnoreCase);

    private static string? KindOf(YamlMap root, out string apiVersion)
    {
        apiVersion = "";
        if (root.Value("kind") is not YamlScalarNode { Value: "Component" or "Resiliency" or "Subscription" } kind)
        {
            return null;
        }

        apiVersion = root.Text("apiVersion") ?? throw root.Missing("apiVersion");
        if (kind.Value == "Subscription")
        {
            // v2alpha1 is current; daprd still reads the deprecated v1alpha1.
            return apiVersion is SubscriptionReader.ApiVersion or ApiVersion
                ? kind.Value
                : throw root.Error("apiVersion", $"'{apiVersion}' is not supported for kind Subscription; use {SubscriptionReader.ApiVersion} (or the deprecated {ApiVersion})");
        }

        return apiVersion == ApiVersion
            ? kind.Value
            : throw root.Error("apiVersion", $"'{apiVersion}' is not supported for kind {kind.Value}; use {ApiVersion}");
    }

    private static (ComponentDefinition Component, YamlNode NameNode) ReadComponent(YamlMap root)
    {
        root.Check(ComponentFields);
        var (name, nameNode) = ReadName(root);
        var spec = root.Map("spec") ?? throw root.Missing("spec.type");
        spec.Check(ComponentSpecFields);
        var type = spec.RequiredText("type");

        // daprd treats a missing version as the initial one.
        var version = spec.Text("version") is { Length: > 0 } given ? given : "v1";

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var secretRefs = new Dictionary<string, SecretKeyRef>(StringComparer.OrdinalIgnoreCase);
        YamlMap? firstRef = null;
        var locations = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (node, path) in spec.Items("metadata") ?? [])
        {
            var item = YamlMap.Of(root.File, node, node, path);
            item.Check(MetadataItemFields);
            var itemName = item.RequiredText("name");
            if (metadata.ContainsKey(itemName) || secretRefs.ContainsKey(itemName))
            {
                throw item.Error("name", $"'{itemName}' is given twice in spec.metadata");
            }

            locations[itemName] = root.File.Where(item.Value("name")!);

            if (new[] { "value", "envRef", "secretKeyRef" }.Count(item.Has) > 1)
            {
                throw item.Error(new[] { "envRef", "secretKeyRef" }.First(item.Has), "give one of value, envRef or secretKeyRef");
            }

            if (item.Map("secretKeyRef") is { } reference)
            {
                reference.Check(SecretKeyRefFields);
                secretRefs[itemName] = new SecretKeyRef(reference.RequiredText("name"), reference.Text("key") ?? "", root.File.Where(reference.Node));
                firstRef ??= item;
                continue;
            }

            metadata[itemName] = item.Has("envRef")
                ? EnvironmentValue(item)
                : item.Value("value") switch
                {
                    null => "",
                    YamlScalarNode scalar => scalar.Value ?? "",
                    var other => throw item.Error("value", $"expected a single value (text, number or true/false), found {YamlFile.Describe(other)}"),
                };
        }

        var auth = root.Map("auth");
        auth?.Check(AuthFields);
        var secretStore = auth?.Text("secretStore");
        if (firstRef is not null && string.IsNullOrEmpty(secretStore))
        {
            throw firstRef.Error("secretKeyRef", "needs auth.secretStore naming the secret store to read it from");
        }

        var scopes = root.TextList("scopes", "scopes: [\"orders\"]").Select(scope => scope.Value).ToList();
        return (new ComponentDefinition(name, type, version, metadata, scopes, root.File.Path)
        {
            SecretRefs = secretRefs, SecretStore = secretStore, MetadataLocations = locations,
        }, nameNode);
    }
}

/// <summary>What <see cref="ResourceLoader.Load"/> found for one app.</summary>
/// <param name="Components">The components the app sees, in file order.</param>
/// <param name="Resiliency">Every Resiliency document that applies to the app, merged.</param>
/// <param name="Subscriptions">The app's declarative subscriptions (<c>kind: Subscription</c>), in file order.</param>
public sealed record LoadedResources(IReadOnlyList<ComponentDefinition> Components, ResiliencySpec Resiliency, IReadOnlyList<Sidecar.PubSub.Subscription> Subscriptions)
{
    /// <summary>Components and resiliency, for callers that deliver no subscriptions.</summary>
    public void Deconstruct(out IReadOnlyList<ComponentDefinition> components, out ResiliencySpec resiliency) =>
        (components, resiliency) = (Components, Resiliency);
}
