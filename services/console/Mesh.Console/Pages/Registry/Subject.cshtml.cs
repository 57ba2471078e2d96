using Grpc.Core;
using Mesh.Console.Registry;
using Mesh.Contracts.Registry.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Registry;

/// <summary>A subject: its settings, its versions, and the diff between two of them.</summary>
public sealed class SubjectModel(RegistryReader registry, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The registry's defaults.</summary>
    public RegistryConfig Defaults { get; private set; } = new();

    /// <summary>The subject id, e.g. "mesh.inventory.v1".</summary>
    [FromRoute(Name = "subject")]
    public string Id { get; set; } = "";

    /// <summary>The older version of the diff.</summary>
    [FromQuery]
    public int? From { get; set; }

    /// <summary>The newer version of the diff.</summary>
    [FromQuery]
    public int? To { get; set; }

    /// <summary>The subject's settings.</summary>
    public Subject Subject { get; private set; } = null!;

    /// <summary>Its versions, oldest first.</summary>
    public List<SchemaVersion> Versions { get; private set; } = [];

    /// <summary>The diff asked for; null when none was.</summary>
    public List<DiffLine>? Diff { get; private set; }

    /// <summary>Why the diff could not be made.</summary>
    public string? Refusal { get; private set; }

    /// <summary>Reads the subject, its versions and the diff.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        try
        {
            Subject = await registry.SubjectAsync(Id, ct);
        }
        catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
        {
            return NotFound();
        }

        Defaults = await registry.DefaultsAsync(ct);
        Versions = await registry.VersionsAsync(Id, ct);
        if (From is { } from && To is { } to)
        {
            try
            {
                Diff = await registry.DiffAsync(Id, from, to, ct);
            }
            catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
            {
                Refusal = $"{e.StatusCode}: {e.Status.Detail}";
            }
        }

        return Page();
    }
}
