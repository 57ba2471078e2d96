using Mesh.Console;
using Mesh.Console.Auditing;
using Mesh.Console.Cases;
using Mesh.Console.Flows;
using Mesh.Console.Registry;
using Mesh.Contracts.Registry.V1;
using Mesh.Console.Operators;
using Mesh.Contracts.Workflows.V1;
using Mesh.Resources;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Wiring of the operations console: cookie sign-in (the dev issuer's sign-in page in Development), every page for
/// operators only, the workflows app's case API through the sidecar, and the audit trail.
/// </summary>
public static class ConsoleExtensions
{
    private const string OperatorsOnly = "operators";

    /// <summary>Registers the console; throws <see cref="ConsoleConfigurationException"/> on an unsafe setting.</summary>
    public static IHostApplicationBuilder AddOperationsConsole(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        ConsoleConfigurationException.ThrowIfUnsafe(options, builder.Environment);
        builder.Services.Configure<ConsoleOptions>(builder.Configuration.GetSection(ConsoleOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddDaprSidecar();

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = "/account/signin";
            o.AccessDeniedPath = "/account/denied";
            o.Cookie.Name = "mesh-console";
            o.Cookie.SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict;
            o.SlidingExpiration = false;
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(OperatorsOnly, p => p.RequireAuthenticatedUser().RequireAssertion(c => c.User.Identity?.IsAuthenticated == true && Operator.Of(c.User).Scopes.Contains(Operator.OperatorScope)));
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", OperatorsOnly);
            o.Conventions.AllowAnonymousToFolder("/Account");
        });

        builder.Services.AddSingleton<DevSignIn>();
        builder.Services.AddSingleton(sp => new CaseService.CaseServiceClient(SidecarInvocation.For(builder.Configuration, "workflows")));
        builder.Services.AddSingleton<OperatorAudit>();
        builder.Services.AddSingleton<CaseActions>();
        builder.Services.AddSingleton<FlowReader>();
        // Read once at start, so a missing or invalid file stops the console with one line rather than failing a page.
        var slos = options.SloFile.Length == 0 ? [] : FlowSlo.Load(Path.Combine(builder.Environment.ContentRootPath, options.SloFile));
        builder.Services.AddSingleton<IReadOnlyList<FlowSlo>>(slos);
        builder.Services.AddSingleton(sp => new RegistryService.RegistryServiceClient(SidecarInvocation.For(builder.Configuration, "registry")));
        builder.Services.AddSingleton<RegistryReader>();
        return builder;
    }

    /// <summary>Maps the pages and the sign-out.</summary>
    public static WebApplication MapOperationsConsole(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        return app;
    }
}
