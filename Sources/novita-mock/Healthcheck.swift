/// `novita-mock healthcheck`: placeholder, implemented with the Docker image.
enum Healthcheck {
    static func run(arguments: [String]) -> Int32 { 1 }
}
