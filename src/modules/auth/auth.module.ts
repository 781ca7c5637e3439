import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { UsersModule } from '../users/users.module';
import { AuthTransport } from './auth-transport';
import { AuthController } from './auth.controller';
import { OtpCodec } from './credentials/otp';
import { PasswordHasher } from './credentials/password-hasher';
import { PasswordPolicy } from './credentials/password-policy';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { LoginLimiterService } from './login-limiter.service';
import { LoginService } from './login.service';
import { OriginPolicy } from './origin-policy';
import { OtpStore } from './otp/otp.store';
import { PasswordService } from './password.service';
import { RegistrationService } from './registration.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions/sessions.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { AccessDenylistService } from './tokens/access-denylist.service';
import { TokenService } from './tokens/token.service';

@Module({
  imports: [PassportModule, JwtModule.register({}), UsersModule],
  controllers: [AuthController, SessionsController],
  providers: [
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    {
      provide: PasswordHasher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new PasswordHasher({ pepper: config.auth.passwordPepper, cost: config.auth.bcryptCost }),
    },
    {
      provide: OtpCodec,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new OtpCodec(config.auth.otpSecret),
    },
    PasswordPolicy,
    TokenService,
    AccessDenylistService,
    SessionsService,
    OtpStore,
    LoginLimiterService,
    OriginPolicy,
    AuthTransport,
    RegistrationService,
    LoginService,
    PasswordService,
    JwtStrategy,
  ],
  exports: [TokenService, SessionsService, AccessDenylistService, OriginPolicy],
})
export class AuthModule {}
