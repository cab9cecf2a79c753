using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageBus.Testing;

/// <summary>A real HTTP server on a loopback port that serves given bytes at given paths and counts the GETs of each:
/// an upstream app's image host, for source image URLs.</summary>
public sealed class ImageServer : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> images = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> hits = new(StringComparer.Ordinal);
    readonly WebApplication app;

    ImageServer(WebApplication app) => this.app = app;

    public static async Task<ImageServer> StartAsync()
    {
        // Nothing can ask before the server is assigned: its URL is not known until StartAsync returns.
        ImageServer? server = null;
        var app = await LoopbackApp.StartAsync(app => app.MapGet("/{**path}", (HttpContext context) => server!.Handle(context)));
        return server = new ImageServer(app);
    }

    /// <summary>Serves <paramref name="bytes"/> at <paramref name="path"/> (e.g. <c>/a.png</c>) and returns its URL.</summary>
    public string Serve(string path, byte[] bytes, string contentType)
    {
        images[path] = (bytes, contentType);
        return app.Urls.Single() + path;
    }

    /// <summary>How many GETs <paramref name="path"/> answered.</summary>
    public int Hits(string path) => hits.GetValueOrDefault(path);

    public ValueTask DisposeAsync() => app.DisposeAsync();

    IResult Handle(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        hits.AddOrUpdate(path, 1, static (_, n) => n + 1);
        return images.TryGetValue(path, out var image) ? Results.Bytes(image.Bytes, image.ContentType) : Results.NotFound();
    }
}
