using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>How the client reads error answers it cannot get from the fake: Google's 429 bodies as Gemini writes them
/// (several details, snake_case metrics, int64 values) and a bare Retry-After header.</summary>
public sealed class GeminiErrorClassificationTests
{
    private const string PerDayBody = """
        {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED", "details": [
          {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
            {"quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
             "quotaId": "GenerateRequestsPerMinutePerProjectPerModel", "quotaDimensions": {"model": "gemini-3-pro-image"}, "quotaValue": "20"},
            {"quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
             "quotaDimensions": {"location": "global"}, "quotaValue": 250}]},
          {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "quotas", "url": "https://example.invalid"}]},
          {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9.5s"}]}}
        """;

    private const string PerMinuteBody = """
        {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED", "details": [
          {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45.837906927s"},
          {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
            {"quotaMetric": "generativelanguage.googleapis.com/generate_content_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]}]}}
        """;

    [Fact]
    public async Task Any_per_day_violation_makes_the_429_permanent_even_in_snake_case_and_beside_a_per_minute_one()
    {
        var ex = await FailWith(Answer(429, PerDayBody));

        Assert.Equal((GeminiErrorCodes.QuotaExhaustedDaily, false), (ex.ErrorCode, ex.IsTransient));
        Assert.Equal("generativelanguage.googleapis.com/generate_requests_per_model_per_day", ex.QuotaId);
        Assert.Equal(TimeSpan.FromSeconds(9.5), ex.RetryAfter);
    }

    [Fact]
    public async Task A_per_minute_violation_is_transient_with_the_retry_info_delay()
    {
        var ex = await FailWith(Answer(429, PerMinuteBody));

        Assert.Equal((GeminiErrorCodes.ResourceExhausted, true), (ex.ErrorCode, ex.IsTransient));
        Assert.Equal(TimeSpan.FromSeconds(45.837906927), ex.RetryAfter);
        Assert.Equal("GenerateRequestsPerMinutePerProjectPerModel", ex.QuotaId);
    }

    [Fact]
    public async Task A_retry_after_header_alone_is_honoured()
    {
        var answer = Answer(429, "");
        answer.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));

        var ex = await FailWith(answer);

        Assert.Equal((GeminiErrorCodes.ResourceExhausted, true), (ex.ErrorCode, ex.IsTransient));
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Null(ex.QuotaId);
    }

    [Fact]
    public async Task The_larger_of_retry_info_and_retry_after_wins()
    {
        var answer = Answer(429, PerMinuteBody);
        answer.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(50));

        var ex = await FailWith(answer);

        Assert.Equal(TimeSpan.FromSeconds(50), ex.RetryAfter);
    }

    private static HttpResponseMessage Answer(int status, string json) => new((HttpStatusCode)status)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    private static async Task<GeminiException> FailWith(HttpResponseMessage answer)
    {
        using var http = new HttpClient(new Canned(answer)) { BaseAddress = new Uri("http://gemini.invalid/") };
        var client = new GeminiClient(http, Options.Create(new GeminiOptions { ApiKey = "k" }), new UnlimitedGeminiRate(),
            NullLogger<GeminiClient>.Instance);
        return await Assert.ThrowsAsync<GeminiException>(() => client.GenerateImageAsync(new GeminiImageRequest("a fox"), default));
    }

    private sealed class Canned(HttpResponseMessage answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer);
    }
}
