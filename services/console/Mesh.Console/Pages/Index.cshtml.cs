using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>The home page: every flow.</summary>
public sealed class IndexModel(IOptions<ConsoleOptions> options) : ConsolePage(options);
