using Mesh.Console.Cases;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages.Cases;

/// <summary>
/// Asks the operator to confirm an action on a case, then performs it. The request id is minted with the confirmation
/// form, so submitting it twice is one request to the workflows app.
/// </summary>
public sealed class ConfirmModel(CaseActions actions, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The flow id.</summary>
    [FromRoute]
    public string Flow { get; set; } = "";

    /// <summary>The case id.</summary>
    [FromRoute]
    public string CaseId { get; set; } = "";

    /// <summary>The action, "replay" or "dismiss".</summary>
    [FromRoute]
    public string Action { get; set; } = "";

    /// <summary>The request id of the action.</summary>
    [BindProperty]
    public string RequestId { get; set; } = "";

    /// <summary>Why the workflows app refused the action.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The case name.</summary>
    public string CaseName => $"flows/{Flow}/cases/{CaseId}";

    /// <summary>Shows the confirmation.</summary>
    public IActionResult OnGet()
    {
        if (!Knows(Flow) || ActionOf(Action) is null)
        {
            return NotFound();
        }

        RequestId = Guid.NewGuid().ToString();
        return Page();
    }

    /// <summary>Performs the confirmed action and goes back to the case.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Knows(Flow) || ActionOf(Action) is not { } action || !Guid.TryParse(RequestId, out _))
        {
            return NotFound();
        }

        Refusal = await actions.PerformAsync(action, CaseName, RequestId, Operator, await HttpContext.GetTokenAsync("access_token"), ct);
        return Refusal is null ? Redirect($"/flows/{Flow}/cases/{CaseId}?done={Action}") : Page();
    }

    private static CaseAction? ActionOf(string name) =>
        Enum.GetValues<CaseAction>().Cast<CaseAction?>().FirstOrDefault(a => CaseActions.NameOf(a!.Value) == name);
}
