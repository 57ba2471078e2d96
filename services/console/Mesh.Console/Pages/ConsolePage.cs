using Mesh.Console.Operators;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>What every operator page knows: who is signed in, and the flows of the workflows app.</summary>
public abstract class ConsolePage(IOptions<ConsoleOptions> options) : PageModel
{
    /// <summary>The signed-in operator.</summary>
    public Operator Operator => Operator.Of(User);

    /// <summary>The console's settings.</summary>
    public ConsoleOptions Settings => options.Value;

    /// <summary>The flows the console shows.</summary>
    public IReadOnlyList<string> Flows => options.Value.Flows;

    /// <summary>True for a flow the console shows.</summary>
    protected bool Knows(string flow) => options.Value.Flows.Contains(flow, StringComparer.Ordinal);
}
