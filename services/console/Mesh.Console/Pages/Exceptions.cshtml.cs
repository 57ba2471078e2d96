using Google.Protobuf.WellKnownTypes;
using Mesh.Console.Cases;
using Mesh.Contracts.Workflows.V1;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>A flow's exception queue, oldest first, filtered by reason and age.</summary>
public sealed class ExceptionsModel(CaseService.CaseServiceClient cases, TimeProvider time, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The ages the queue can be filtered by: cases waiting at least this long.</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> Ages = new Dictionary<string, TimeSpan>
    {
        ["5m"] = TimeSpan.FromMinutes(5), ["1h"] = TimeSpan.FromHours(1), ["1d"] = TimeSpan.FromDays(1), ["7d"] = TimeSpan.FromDays(7),
    };

    private const int PageSize = 50;

    /// <summary>The flow id.</summary>
    [FromRoute]
    public string Flow { get; set; } = "";

    /// <summary>Only this reason, when set.</summary>
    [FromQuery]
    public string? Reason { get; set; }

    /// <summary>Only cases waiting at least this long (a key of <see cref="Ages"/>), when set.</summary>
    [FromQuery]
    public string? Age { get; set; }

    /// <summary>The page token of the page shown.</summary>
    [FromQuery]
    public string? PageToken { get; set; }

    /// <summary>The page of exceptions, projected for the operator.</summary>
    public List<CaseView> Exceptions { get; } = [];

    /// <summary>The token of the next page; empty on the last.</summary>
    public string NextPageToken { get; private set; } = "";

    /// <summary>When the page was read, for the ages shown.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>Reads the page.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Knows(Flow))
        {
            return NotFound();
        }

        Now = time.GetUtcNow();
        var request = new ListExceptionsRequest { Parent = $"flows/{Flow}", PageSize = PageSize, PageToken = PageToken ?? "", Reason = Reason ?? "" };
        if (Age is not null && Ages.TryGetValue(Age, out var age))
        {
            request.QueuedBefore = Timestamp.FromDateTimeOffset(Now - age);
        }

        var page = await cases.ListExceptionsAsync(request, cancellationToken: ct);
        Exceptions.AddRange(page.Exceptions.Select(c => CaseView.For(c, Operators.Operator.Protected)));
        NextPageToken = page.NextPageToken;
        return Page();
    }
}
