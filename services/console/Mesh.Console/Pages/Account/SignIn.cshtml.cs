using Mesh.Console.Operators;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>The dev sign-in: an operator name and scopes, a dev-issuer token, a cookie.</summary>
public sealed class SignInModel(DevSignIn signIn, IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>True when the dev sign-in is on (Development only).</summary>
    public bool DevSignInEnabled => options.Value.DevSignIn;

    /// <summary>Where to go once signed in.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The operator name asked for.</summary>
    [BindProperty]
    public string? Name { get; set; }

    /// <summary>The scopes asked for.</summary>
    [BindProperty]
    public List<string> Scopes { get; set; } = [];

    /// <summary>Why the sign-in was refused.</summary>
    public string? Error { get; private set; }

    /// <summary>Signs the operator in and goes back where they were.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        if (!DevSignInEnabled)
        {
            return NotFound();
        }

        if (!DevSignIn.IsValidName(Name))
        {
            Error = $"The operator name must be {DevSignIn.NameRule}.";
            return Page();
        }

        await signIn.SignInAsync(HttpContext, Name!, Scopes);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
