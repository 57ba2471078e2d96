using Grpc.Core;
using Mesh.Console.Auditing;
using Mesh.Console.Cases;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Cases;

/// <summary>
/// One case: its state, why it is not completed, its saga's timeline, its steps, what it is about, and the actions it allows. Patient and
/// personal data are hidden until an operator whose scopes cover them reveals them, which the audit trail records.
/// </summary>
public sealed class CaseModel(CaseService.CaseServiceClient cases, OperatorAudit audit, TimeProvider time, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The flow id.</summary>
    [FromRoute]
    public string Flow { get; set; } = "";

    /// <summary>The case id.</summary>
    [FromRoute]
    public string CaseId { get; set; } = "";

    /// <summary>The action just done, to confirm it on the page.</summary>
    [FromQuery]
    public string? Done { get; set; }

    /// <summary>The case, projected for the operator.</summary>
    public CaseView View { get; private set; } = null!;

    /// <summary>True when the page shows what the operator revealed (it then stops refreshing itself).</summary>
    public bool Revealed { get; private set; }

    /// <summary>What the case's saga did (its steps, retries, compensations, waits), or null when it cannot be read.</summary>
    public CaseTimeline? Timeline { get; private set; }

    /// <summary>Why there is no timeline, when <see cref="Timeline"/> is null.</summary>
    public string TimelineNote { get; private set; } = "";

    /// <summary>The case name.</summary>
    public string CaseName => $"flows/{Flow}/cases/{CaseId}";

    /// <summary>Reads the case, protected data hidden; 404 when the workflows app has none.</summary>
    public Task<IActionResult> OnGetAsync(CancellationToken ct) => ShowAsync(Operators.Operator.Protected, ct);

    /// <summary>
    /// Shows the case with the protected data the operator's scopes cover, once the audit trail recorded that they
    /// looked; 403 (also recorded) when their scopes cover none.
    /// </summary>
    public async Task<IActionResult> OnPostRevealAsync(CancellationToken ct)
    {
        if (!Knows(Flow))
        {
            return NotFound();
        }

        await audit.RecordAsync(new AuditEntry(Operator.Name, "reveal", CaseName, Guid.NewGuid().ToString(), Operator.MayReveal ? "OK" : "PERMISSION_DENIED", time.GetUtcNow()), ct);
        if (!Operator.MayReveal)
        {
            return Forbid();
        }

        Revealed = true;
        return await ShowAsync(Operator.Withheld, ct);
    }

    private async Task<IActionResult> ShowAsync(IReadOnlySet<Mesh.Contracts.Options.V1.DataClassification> hidden, CancellationToken ct)
    {
        if (!Knows(Flow))
        {
            return NotFound();
        }

        try
        {
            var timeline = TimelineAsync(ct);
            View = CaseView.For(await cases.GetCaseAsync(new GetCaseRequest { Name = CaseName }, cancellationToken: ct), hidden);
            (Timeline, TimelineNote) = await timeline;
            return Page();
        }
        catch (RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.InvalidArgument)
        {
            return NotFound();
        }
    }

    // The case shows without its timeline when that cannot be read: a case parked without a saga has none.
    private async Task<(CaseTimeline?, string)> TimelineAsync(CancellationToken ct)
    {
        try
        {
            return (await cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = $"{CaseName}/timeline" }, cancellationToken: ct), "");
        }
        catch (RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
        {
            return (null, "No timeline: no saga ran for this case.");
        }
        catch (RpcException e)
        {
            return (null, $"The workflows app did not give the timeline ({e.StatusCode}).");
        }
    }
}
