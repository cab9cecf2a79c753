using ImageBus.Webhooks;
using ImageBus.Testing;

namespace ImageBus.Notifier.Tests;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void The_signature_matches_the_Standard_Webhooks_example()
    {
        // The worked example of the Standard Webhooks spec (secret, id, timestamp, body and the expected signature).
        var header = WebhookSecrets.SignatureHeader(
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}""");

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", header);
    }

    [Fact]
    public void A_generated_secret_signs_what_an_independent_verifier_accepts_and_nothing_else()
    {
        var secret = WebhookSecrets.Generate();
        const string body = """{"type":"job.completed","data":{"sequence":3}}""";

        var header = WebhookSecrets.SignatureHeader([secret], "msg_1", 1700000000, body);

        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.True(StandardWebhookVerifier.Verify(secret, "msg_1", "1700000000", body, header));
        Assert.False(StandardWebhookVerifier.Verify(secret, "msg_1", "1700000001", body, header));
        Assert.False(StandardWebhookVerifier.Verify(secret, "msg_1", "1700000000", body.Replace('3', '4'), header));
        Assert.False(StandardWebhookVerifier.Verify(WebhookSecrets.Generate(), "msg_1", "1700000000", body, header));
    }

    [Fact]
    public void During_rotation_both_secrets_sign_until_the_old_one_expires()
    {
        var now = DateTimeOffset.UtcNow;
        var (current, previous) = (WebhookSecrets.Generate(), WebhookSecrets.Generate());

        Assert.Equal([current, previous], WebhookSecrets.Active(current, previous, now.AddMinutes(1), now));
        Assert.Equal([current], WebhookSecrets.Active(current, previous, now.AddMinutes(-1), now));
    }
}
