using System.Collections.Concurrent;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Testing.Apps;

/// <summary>
/// A fault for tests of what survives a lost reply: while a gRPC method is switched on, the app handles each call
/// to it in full (its effects commit) and then answers UNAVAILABLE, as a connection dropped on the way back would.
/// The app itself is the real one; only its answers go missing.
/// </summary>
public sealed class LostReplies
{
    // How many more replies of each method to lose; int.MaxValue loses them until restored.
    private readonly ConcurrentDictionary<string, int> methods = new(StringComparer.Ordinal);

    /// <summary>Loses the replies of <paramref name="method"/> ("/package.Service/Method") from now on.</summary>
    public void Lose(string method) => methods[method] = int.MaxValue;

    /// <summary>Loses the next <paramref name="times"/> replies of <paramref name="method"/>, then answers again.</summary>
    public void Lose(string method, int times) => methods[method] = times;

    /// <summary>Answers every call again.</summary>
    public void Restore() => methods.Clear();

    /// <summary>Puts the fault into an app's gRPC pipeline, for <see cref="TestApp.InProcess{TEntryPoint}"/>'s configure hook.</summary>
    public void Into(IWebHostBuilder app) => app.ConfigureServices(services =>
    {
        services.AddSingleton(this);
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<Interceptor>());
    });

    private bool Loses(string method)
    {
        while (methods.TryGetValue(method, out var left) && left > 0)
        {
            if (left == int.MaxValue || methods.TryUpdate(method, left - 1, left))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Interceptor(LostReplies faults) : Grpc.Core.Interceptors.Interceptor
    {
        public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
            TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            var response = await continuation(request, context);
            return faults.Loses(context.Method)
                ? throw new RpcException(new Status(StatusCode.Unavailable, "the reply was lost (test fault)"))
                : response;
        }
    }
}
