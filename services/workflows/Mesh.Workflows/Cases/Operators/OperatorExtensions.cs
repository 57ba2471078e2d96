using Mesh.DevTokens;
using Mesh.Workflows.Cases.Operators;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of operator identity on the case API's operator endpoints.</summary>
public static class OperatorExtensions
{
    /// <summary>
    /// Registers the operator token validation ("Workflows:Operators") and the <see cref="OperatorGate"/>; refuses
    /// settings that trust nobody, or the dev issuer outside Development.
    /// </summary>
    /// <exception cref="WorkflowsConfigurationException">The settings are unsafe or incomplete.</exception>
    public static IHostApplicationBuilder AddOperatorIdentity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(OperatorOptions.Section);
        var options = section.Get<OperatorOptions>() ?? new OperatorOptions();
        if (IssuerTrust.ProblemOf(options, OperatorOptions.Section, "the workflows app", builder.Environment.EnvironmentName) is { } problem)
        {
            throw new WorkflowsConfigurationException(problem);
        }

        builder.Services.Configure<OperatorOptions>(section);
        builder.Services.AddAuthentication().AddJwtBearer(OperatorGate.Scheme, jwt =>
        {
            // Claim names as the token carries them (sub, scope), not mapped to WS-* URIs.
            jwt.MapInboundClaims = false;
            if (options.Authority.Length > 0)
            {
                jwt.Authority = options.Authority;
            }

            jwt.TokenValidationParameters = IssuerTrust.ValidationOf(options);
        });
        builder.Services.AddSingleton<OperatorGate>();
        return builder;
    }
}
