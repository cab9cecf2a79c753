using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageBus.Testing;

/// <summary>A real HTTP server on a loopback port that serves given bytes at given paths and counts the GETs of each:
/// an upstream app's image host, for source image URLs.</summary>
public sealed class ImageServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly string baseUrl;
    readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> images = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> hits = new(StringComparer.Ordinal);

    ImageServer(WebApplication app, string baseUrl)
    {
        this.app = app;
        this.baseUrl = baseUrl;
    }

    public static async Task<ImageServer> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ImageServer(app, $"http://127.0.0.1:{port}");
        app.MapGet("/{**path}", server.Handle);
        await app.StartAsync();
        return server;
    }

    /// <summary>Serves <paramref name="bytes"/> at <paramref name="path"/> (e.g. <c>/a.png</c>) and returns its URL.</summary>
    public string Serve(string path, byte[] bytes, string contentType)
    {
        images[path] = (bytes, contentType);
        return baseUrl + path;
    }

    /// <summary>How many GETs <paramref name="path"/> answered.</summary>
    public int Hits(string path) => hits.GetValueOrDefault(path);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    IResult Handle(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        hits.AddOrUpdate(path, 1, static (_, n) => n + 1);
        return images.TryGetValue(path, out var image) ? Results.Bytes(image.Bytes, image.ContentType) : Results.NotFound();
    }
}
