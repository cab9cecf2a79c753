using ImageBus.Messaging;

namespace ImageBus.Deploy.Tests;

/// <summary>docker-compose.yml, deploy/docker and deploy/k8s agree with the code: every setting they name is one a service
/// reads, every service is health-checked on the endpoints it serves, runs unprivileged and restarts, and the workers scale on
/// the queue they consume. (No Docker engine or cluster here: what can be checked without one.)</summary>
public sealed class DeployFileTests
{
    static readonly string[] ImageBusServices = ["gateway", "orchestrator", "worker", "notifier"];

    static readonly ServiceSettings Settings = ServiceSettings.Read();

    static Dictionary<object, object> Compose => DeployFiles.Documents("docker-compose.yml").Single().Map("services");

    static IEnumerable<(string File, Dictionary<object, object> Resource)> KubernetesResources() =>
        DeployFiles.Documents("deploy/k8s/kustomization.yaml").Single().List("resources").Cast<string>()
            .Append("secret.example.yaml")
            .SelectMany(file => DeployFiles.Documents($"deploy/k8s/{file}").Select(resource => (file, resource)));

    [Fact]
    public void Every_setting_the_deployment_files_name_is_one_a_service_reads()
    {
        // The servers' own images (RabbitMQ, PostgreSQL) read their own variables; ImageBus's are built from deploy/docker.
        var named = Compose.Where(service => service.Value is Dictionary<object, object> map && map.ContainsKey("build"))
            .SelectMany(service => Environment(service.Value).Select(key => $"docker-compose.yml {service.Key}: {key}"))
            .Concat(KubernetesResources()
                .Where(r => r.Resource.Scalar("kind") is "ConfigMap" or "Secret")
                .SelectMany(r => (r.Resource.GetValueOrDefault("data") ?? r.Resource.GetValueOrDefault("stringData")) is Dictionary<object, object> data
                    ? data.Keys.Cast<string>().Where(key => key != "rabbitmq-uri").Select(key => $"deploy/k8s/{r.File}: {key}")
                    : []))
            .Concat(KubernetesResources()
                .Where(r => r.Resource.Scalar("kind") == "Deployment")
                .SelectMany(r => r.Resource.Map("spec").Map("template").Map("spec").List("containers"))
                .SelectMany(container => container.List("env").Select(variable => $"deploy/k8s {container.Scalar("name")}: {variable.Scalar("name")}")))
            .ToList();

        Assert.NotEmpty(named);
        var unread = named.Where(entry => !Settings.Reads(entry[(entry.LastIndexOf(": ", StringComparison.Ordinal) + 2)..])).ToList();
        Assert.True(unread.Count == 0, "settings no service reads: " + string.Join(", ", unread));
    }

    [Fact]
    public async Task Docker_Compose_accepts_the_file()
    {
        // docker-compose 1.29 validates without an engine; ./imagebus test installs it.
        var start = new System.Diagnostics.ProcessStartInfo("docker-compose", ["-f", DeployFiles.PathOf("docker-compose.yml"), "config", "-q"])
        {
            RedirectStandardError = true,
        };
        using var compose = System.Diagnostics.Process.Start(start)
            ?? throw new InvalidOperationException("docker-compose is not installed (./imagebus test installs it)");
        var errors = await compose.StandardError.ReadToEndAsync();
        await compose.WaitForExitAsync();
        Assert.True(compose.ExitCode == 0, errors);
    }

    [Fact]
    public void The_settings_check_refuses_a_misspelt_setting()
    {
        Assert.True(Settings.Reads("Gemini__Model"));
        Assert.True(Settings.Reads("Storage__S3__ServiceUrl"));
        Assert.True(Settings.Reads("Gemini__Prices__gemini-3-pro-image__PerImage"));
        Assert.False(Settings.Reads("Gemini__Modle"));
        Assert.False(Settings.Reads("Storage__S3__ServiceUri"));
        Assert.False(Settings.Reads("Geminii__Model"));
    }

    [Fact]
    public void Gateway_orchestrator_and_worker_check_cases_with_the_same_Gemini_settings()
    {
        var gemini = new[] { "gateway", "orchestrator", "worker" }
            .Select(name => string.Join(";", Environment(Compose[name]).Where(key => key.StartsWith("Gemini__", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(key => $"{key}={EnvironmentValue(Compose[name], key)}")))
            .ToList();

        Assert.Contains("Gemini__Model=", gemini[0], StringComparison.Ordinal);
        Assert.All(gemini, settings => Assert.Equal(gemini[0], settings));
    }

    [Fact]
    public void Every_compose_service_restarts_and_is_health_checked_and_the_worker_waits_for_its_database()
    {
        foreach (var name in ImageBusServices.Append("fake-gemini"))
        {
            var service = Compose[name];
            Assert.Equal("unless-stopped", service.Scalar("restart"));
            Assert.Contains("imagebus-healthcheck", service.Map("healthcheck").List("test").Cast<string>());
        }

        Assert.Equal("service_healthy", Compose["worker"].Map("depends_on").Map("postgres").Scalar("condition"));
        Assert.Equal("60s", Compose["worker"].Scalar("stop_grace_period"));
    }

    [Fact]
    public void The_image_restores_in_a_layer_of_its_own_runs_unprivileged_and_ships_no_local_data()
    {
        var dockerfile = DeployFiles.Text("deploy/docker/Dockerfile").Split('\n');
        var build = dockerfile.SkipWhile(line => !line.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal)).ToList();
        var restore = build.FindIndex(line => line.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var sources = build.FindIndex(line => line == "COPY . .");
        Assert.InRange(restore, 1, sources - 1);
        var runtime = dockerfile.SkipWhile(line => !line.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", StringComparison.Ordinal)).ToList();
        Assert.Contains(runtime, line => line.StartsWith("USER $APP_UID", StringComparison.Ordinal));
        Assert.Contains(runtime, line => line.StartsWith("HEALTHCHECK", StringComparison.Ordinal));

        var ignored = DeployFiles.Text(".dockerignore").Split('\n').Select(line => line.Trim()).ToHashSet();
        Assert.Superset(new HashSet<string> { ".local", "**/bin", "**/obj", ".git" }, ignored);
    }

    [Fact]
    public void Every_deployment_probes_the_health_endpoints_it_serves_and_runs_as_non_root()
    {
        var deployments = KubernetesResources().Where(r => r.Resource.Scalar("kind") == "Deployment").ToList();
        Assert.Equal(ImageBusServices.Order(), deployments.Select(d => d.Resource.Map("metadata").Scalar("name")!).Order());
        foreach (var (_, deployment) in deployments)
        {
            var pod = deployment.Map("spec").Map("template").Map("spec");
            Assert.Equal("true", pod.Map("securityContext").Scalar("runAsNonRoot"));
            var container = Assert.Single(pod.List("containers"));
            Assert.Equal("/health/live", container.Map("livenessProbe").Map("httpGet").Scalar("path"));
            Assert.Equal("/health/ready", container.Map("readinessProbe").Map("httpGet").Scalar("path"));
            Assert.Equal("8080", Assert.Single(container.List("ports")).Scalar("containerPort"));
            Assert.Equal(["imagebus", "imagebus"], container.List("envFrom")
                .Select(source => (source as Dictionary<object, object>)!.Values.Single().Scalar("name")!).ToArray());
        }

        var worker = deployments.Single(d => d.Resource.Map("metadata").Scalar("name") == "worker").Resource;
        Assert.True(int.Parse(worker.Map("spec").Map("template").Map("spec").Scalar("terminationGracePeriodSeconds")!,
            System.Globalization.CultureInfo.InvariantCulture) >= 50);
    }

    [Fact]
    public void KEDA_scales_the_workers_on_the_queue_they_consume()
    {
        var scaler = KubernetesResources().Single(r => r.Resource.Scalar("kind") == "ScaledObject").Resource;
        Assert.Equal("worker", scaler.Map("spec").Map("scaleTargetRef").Scalar("name"));
        var trigger = Assert.Single(scaler.Map("spec").List("triggers"));
        Assert.Equal("rabbitmq", trigger.Scalar("type"));
        Assert.Equal(QueueNames.GenerateImage, trigger.Map("metadata").Scalar("queueName"));
    }

    static IEnumerable<string> Environment(object service) =>
        service is Dictionary<object, object> map && map.TryGetValue("environment", out var environment) && environment is Dictionary<object, object> variables
            ? variables.Keys.Cast<string>()
            : [];

    static string? EnvironmentValue(object service, string key) => service.Map("environment").Scalar(key);
}
