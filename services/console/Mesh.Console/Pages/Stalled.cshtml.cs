using Mesh.Console.Cases;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>One flow on the stalled page: its settings, a page of its stalled cases, and its dead letters.</summary>
/// <param name="Flow">The flow, with its stalled-after time and dead-letter topics.</param>
/// <param name="Stalled">A page of its stalled cases, longest stalled first.</param>
/// <param name="NextPageToken">The token of the next page of stalled cases; empty on the last.</param>
/// <param name="DeadLetters">The events its dead-letter topics received, parked on its queue as "dead_lettered".</param>
public sealed record FlowWatch(Flow Flow, IReadOnlyList<StalledCase> Stalled, string NextPageToken, IReadOnlyList<CaseView> DeadLetters);

/// <summary>
/// Stalled workflows and dead letters, per flow: the cases in flight that began no step for longer than the flow's
/// stalled-after time (ListStalledCases), and the events its subscriptions dead-lettered, which the workflows app parks
/// on the exception queue with reason "dead_lettered" (when the flow has a dead-letter topic at all).
/// </summary>
public sealed class StalledModel(CaseService.CaseServiceClient cases, TimeProvider time, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The reason of a dead-lettered event's case.</summary>
    public const string DeadLettered = "dead_lettered";

    private const int PageSize = 50;

    /// <summary>Only this flow, to page through its stalled cases.</summary>
    [FromQuery]
    public string? Flow { get; set; }

    /// <summary>The page token of that flow's stalled cases.</summary>
    [FromQuery]
    public string? PageToken { get; set; }

    /// <summary>The flows shown.</summary>
    public List<FlowWatch> Watches { get; } = [];

    /// <summary>When the page was read, for how long each case has been stalled.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>Reads every flow (or the one asked).</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Flow is not null && !Knows(Flow))
        {
            return NotFound();
        }

        Now = time.GetUtcNow();
        foreach (var flow in Flow is null ? Flows : [Flow])
        {
            var settings = await cases.GetFlowAsync(new GetFlowRequest { Name = $"flows/{flow}" }, cancellationToken: ct);
            var stalled = await cases.ListStalledCasesAsync(new ListStalledCasesRequest { Parent = settings.Name, PageSize = PageSize, PageToken = PageToken ?? "" }, cancellationToken: ct);
            var deadLetters = settings.DeadLetterTopics.Count == 0 ? []
                : (await cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = settings.Name, Reason = DeadLettered, PageSize = PageSize }, cancellationToken: ct))
                    .Exceptions.Select(c => CaseView.For(c, Operators.Operator.Protected)).ToList();
            Watches.Add(new FlowWatch(settings, stalled.StalledCases, stalled.NextPageToken, deadLetters));
        }

        return Page();
    }
}
