using Mesh.Console.Registry;
using Mesh.Contracts.Registry.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Registry;

/// <summary>Every subject of the schema registry with its owner, compatibility settings and latest version.</summary>
public sealed class SubjectsModel(RegistryReader registry, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The registry's defaults.</summary>
    public RegistryConfig Defaults { get; private set; } = new();

    /// <summary>The subjects.</summary>
    public List<Subject> Subjects { get; private set; } = [];

    /// <summary>Reads them.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        Defaults = await registry.DefaultsAsync(ct);
        Subjects = await registry.SubjectsAsync(ct);
    }
}
