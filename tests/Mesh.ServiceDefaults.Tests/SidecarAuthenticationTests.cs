using System.Net;
using Mesh.ServiceDefaults.Security;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.ServiceDefaults.Tests;

/// <summary>APP_API_TOKEN on HTTP routes, Dapr.AspNetCore's way, and what an app without a token does.</summary>
public sealed class SidecarAuthenticationTests
{
    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("wrong", HttpStatusCode.Unauthorized)]
    [InlineData("app-token", HttpStatusCode.OK)]
    public async Task HttpRoute_OnlyWithTheAppToken(string? token, HttpStatusCode expected)
    {
        await using var app = await StartAsync(Environments.Production, "app-token");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(LoopbackApp.AddressOf(app), "/orders"));
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }

        using var response = await new HttpClient().SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task HttpRoute_OptedOut_AnswersWithoutTheToken()
    {
        await using var app = await StartAsync(Environments.Production, "app-token");

        using var response = await new HttpClient().GetAsync(new Uri(LoopbackApp.AddressOf(app), "/public"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task NoToken_InDevelopment_RunsOpenAndSaysItIsUnprotected()
    {
        var logs = new List<string>();
        await using var app = await StartAsync(Environments.Development, null, logs);

        using var response = await new HttpClient().GetAsync(new Uri(LoopbackApp.AddressOf(app), "/orders"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(logs, l => l.StartsWith("APP_API_TOKEN is not set:", StringComparison.Ordinal) && l.Contains("UNPROTECTED", StringComparison.Ordinal));
    }

    [Fact]
    public void NoToken_OutsideDevelopment_DoesNotStart()
    {
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http1);

        var error = Assert.Throws<SidecarTokenMissingException>(() => builder.AddServiceDefaults());

        Assert.Contains("APP_API_TOKEN is not set", error.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(string environment, string? token, List<string>? logs = null)
    {
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http1);
        builder.Environment.EnvironmentName = environment;
        if (token is not null)
        {
            builder.Configuration.AddInMemoryCollection([new("APP_API_TOKEN", token)]);
        }

        builder.AddServiceDefaults();
        if (logs is not null)
        {
            builder.Logging.AddProvider(new ListLogger(logs));
        }

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/orders", () => Results.Ok());
        app.MapGet("/public", () => Results.Ok()).AllowAnonymous();
        await app.StartAsync();
        return app;
    }

    private sealed class ListLogger(List<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (lines)
            {
                lines.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
