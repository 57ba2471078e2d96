using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.Security;

/// <summary>
/// APP_API_TOKEN, Dapr's proof that a call came through the app's own sidecar (docs operations/security/app-api-token):
/// the sidecar sends it in <c>dapr-api-token</c> on every call, and the app refuses every call without it, with
/// Dapr.AspNetCore's <c>Dapr</c> authentication scheme as the fallback authorization policy, so it covers HTTP routes,
/// pub/sub deliveries and gRPC services alike (gRPC metadata is an HTTP/2 header). Health endpoints stay open for
/// probes, which daprd sends without the token. An endpoint with its own authorization (a partner listener with its
/// JWT policy) or <c>AllowAnonymous()</c> opts out.
/// </summary>
public static class SidecarAuthentication
{
    /// <summary>The variable (and configuration key) of the token.</summary>
    public const string AppApiTokenVariable = "APP_API_TOKEN";

    /// <summary>The authorization policy that requires the token: Dapr.AspNetCore's, named as its samples name it.</summary>
    public const string Policy = "Dapr";

    /// <summary>The authentication scheme Dapr.AspNetCore's <c>AddDapr</c> registers.</summary>
    public const string Scheme = "Dapr";

    /// <summary>
    /// Requires APP_API_TOKEN on every call. Without the token the app runs unprotected in Development only (and says
    /// so in its log); anywhere else it does not start.
    /// </summary>
    /// <exception cref="SidecarTokenMissingException">No token outside Development.</exception>
    public static TBuilder AddSidecarAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var token = builder.Configuration[AppApiTokenVariable];
        if (string.IsNullOrEmpty(token))
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw SidecarTokenMissingException.For(builder.Environment);
            }

            builder.Services.AddHostedService<UnprotectedWarning>();
            // The policy stays, open, so endpoints that ask for it (RequireSidecar) map the same way.
            builder.Services.AddAuthorization(o => o.AddPolicy(Policy, p => p.RequireAssertion(_ => true)));
            return builder;
        }

        builder.Services.AddAuthentication().AddDapr(o => o.Token = token);
        builder.Services.AddAuthorization(o =>
        {
            o.AddDapr(Policy);
            o.FallbackPolicy = o.GetPolicy(Policy);
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcRefusal>();
        // The token is checked where an endpoint's policy asks for it, not by the authentication middleware on every
        // request, and not at all on an endpoint open to anyone (health probes answer without resolving a handler).
        builder.Services.Replace(ServiceDescriptor.Singleton<IAuthenticationSchemeProvider, ExplicitDefaultScheme>());
        builder.Services.Replace(ServiceDescriptor.Transient<IPolicyEvaluator, AnonymousWithoutToken>());
        return builder;
    }

    /// <summary>
    /// For an app with a front door of its own (the gateway's partner listeners, where partners authenticate with a
    /// JWT): APP_API_TOKEN is no longer asked of every endpoint, only of those marked <see cref="RequireSidecar{TBuilder}"/>.
    /// </summary>
    public static IServiceCollection RequireSidecarPerEndpoint(this IServiceCollection services) =>
        services.PostConfigure<AuthorizationOptions>(o => o.FallbackPolicy = null);

    /// <summary>Requires APP_API_TOKEN on these endpoints (for an app that took <see cref="RequireSidecarPerEndpoint"/>).</summary>
    public static TBuilder RequireSidecar<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder => endpoints.RequireAuthorization(Policy);

    // A gRPC caller gets a gRPC status it can read (UNAUTHENTICATED with the reason) instead of a bare HTTP 401.
    private sealed class GrpcRefusal : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler standard = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded || !policy.AuthenticationSchemes.Contains(Scheme)
                || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
            {
                return standard.HandleAsync(next, context, policy, authorizeResult);
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "16");
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString("the call did not come through this app's Dapr sidecar: dapr-api-token is missing or wrong"));
            return Task.CompletedTask;
        }
    }

    // The Dapr scheme, the only one an app usually has, would be its default scheme, which the authentication
    // middleware runs on every request; here a default scheme is one the app names.
    private sealed class ExplicitDefaultScheme(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
    {
        private readonly AuthenticationOptions named = options.Value;

        public override Task<AuthenticationScheme?> GetDefaultAuthenticateSchemeAsync() =>
            (named.DefaultAuthenticateScheme ?? named.DefaultScheme) is { } scheme ? GetSchemeAsync(scheme) : Task.FromResult<AuthenticationScheme?>(null);
    }

    // An endpoint open to anyone under the token policy: the token is not checked, as nothing there reads the caller.
    private sealed class AnonymousWithoutToken(IServiceProvider services) : IPolicyEvaluator
    {
        private PolicyEvaluator Standard => new(services.GetRequiredService<IAuthorizationService>());

        public Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context) =>
            policy.AuthenticationSchemes is [Scheme] && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null
                ? Task.FromResult(AuthenticateResult.NoResult())
                : Standard.AuthenticateAsync(policy, context);

        public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource) =>
            Standard.AuthorizeAsync(policy, authenticationResult, context, resource);
    }

    private sealed class UnprotectedWarning(ILogger<UnprotectedWarning> logger, IHostEnvironment environment) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning(
                "APP_API_TOKEN is not set: {App} is UNPROTECTED and takes calls from anyone who reaches its port, not only from its Dapr sidecar. That is allowed in Development only; mesh run and dapr run set the token",
                environment.ApplicationName);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>
/// An app outside Development has no APP_API_TOKEN. Left unhandled, it ends the process with its message as one line on
/// standard error and exit code 1, not a stack trace.
/// </summary>
public sealed class SidecarTokenMissingException : Exception
{
    private static int handlerInstalled;

    private SidecarTokenMissingException(string message)
        : base(message)
    {
    }

    internal static SidecarTokenMissingException For(IHostEnvironment environment)
    {
        if (Interlocked.Exchange(ref handlerInstalled, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            {
                if (e.ExceptionObject is SidecarTokenMissingException missing)
                {
                    Console.Error.WriteLine(missing.Message);
                    Environment.Exit(1);
                }
            };
        }

        return new($"{environment.ApplicationName}: APP_API_TOKEN is not set; outside Development an app only takes calls that prove they came through its Dapr sidecar (mesh run and dapr run set it; set ASPNETCORE_ENVIRONMENT=Development to run unprotected)");
    }
}
