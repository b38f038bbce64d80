<?php
// Creates (or re-uses) an active OAuth integration of a real Magento with just
// the ACL resources named, and prints its four keys as JSON: for checking that
// Test Connection names what is missing. Run from the Magento root:
//   php /path/to/tools/magento_integration.php NAME RESOURCE [RESOURCE...]
use Magento\Framework\App\Bootstrap;

require 'app/bootstrap.php';
$objects = Bootstrap::create(BP, $_SERVER)->getObjectManager();
$objects->get(\Magento\Framework\App\State::class)->setAreaCode('crontab');
$integrations = $objects->get(\Magento\Integration\Api\IntegrationServiceInterface::class);
$oauth = $objects->get(\Magento\Integration\Api\OauthServiceInterface::class);
$name = $argv[1];
$resources = array_slice($argv, 2);
$integration = $integrations->findByName($name);
if (!$integration->getId()) {
    $integration = $integrations->create([
        'name' => $name, 'email' => 'odoo@example.com', 'status' => 1,
        'setup_type' => 0, 'resource' => $resources, 'all_resources' => 0,
    ]);
}
$consumerId = $integration->getConsumerId();
$oauth->createAccessToken($consumerId, true);
$consumer = $oauth->loadConsumer($consumerId);
$token = $oauth->getAccessToken($consumerId);
$integration->setStatus(1)->save();
echo json_encode([
    'consumer_key' => $consumer->getKey(), 'consumer_secret' => $consumer->getSecret(),
    'access_token' => $token->getToken(), 'access_token_secret' => $token->getSecret(),
]), "\n";
