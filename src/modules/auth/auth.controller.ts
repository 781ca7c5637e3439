import {
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/decorators/public.decorator';
import { ResponseMessage } from '../../common/decorators/response-message.decorator';
import { NoStoreInterceptor } from '../../common/http/no-store.interceptor';
import type { SelfUserDto } from '../users/users.mapper';
import { AuthTransport, type BearerTokens } from './auth-transport';
import type { AuthContext } from './auth.types';
import { CurrentAuth } from '../../common/decorators/current-auth.decorator';
import {
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  VerifyOtpDto,
} from './dto/auth.dto';
import { LoginService } from './login.service';
import { OriginPolicy } from './origin-policy';
import { PasswordService } from './password.service';
import { RegistrationService } from './registration.service';

type SignedIn = { user: SelfUserDto; tokens?: BearerTokens };

@ApiTags('auth')
@UseInterceptors(NoStoreInterceptor)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly login: LoginService,
    private readonly passwords: PasswordService,
    private readonly transport: AuthTransport,
    private readonly origins: OriginPolicy,
  ) {}

  @Public()
  @Post('register')
  @HttpCode(HttpStatus.ACCEPTED)
  @ResponseMessage('Verification code sent; check your email')
  register(@Body() body: RegisterDto): Promise<{ email: string; expiresInSeconds: number }> {
    return this.registration.register(body);
  }

  @Public()
  @Post('verify-otp')
  @HttpCode(HttpStatus.CREATED)
  @ResponseMessage('Account created')
  async verifyOtp(
    @Body() body: VerifyOtpDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SignedIn> {
    this.origins.assertNoForeignOrigin(req);
    const { user, tokens } = await this.registration.verify(body, this.transport.clientInfo(req));
    return { user, ...this.transport.deliver(req, res, tokens) };
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Signed in')
  async signIn(
    @Body() body: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SignedIn> {
    this.origins.assertNoForeignOrigin(req);
    const { user, tokens } = await this.login.login(
      { login: body.email, password: body.password },
      this.transport.clientInfo(req),
    );
    return { user, ...this.transport.deliver(req, res, tokens) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Tokens refreshed')
  async refresh(
    @Body() body: RefreshDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{
    accessTokenExpiresAt: string;
    refreshTokenExpiresAt: string;
    tokens?: BearerTokens;
  }> {
    const presented = this.transport.refreshTokenOf(req, body.refreshToken);
    if (presented.viaCookie) this.origins.assertCookieRequestAllowed(req);
    const tokens = await this.login.refresh(presented.token);
    return {
      accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
      ...this.transport.deliver(req, res, tokens),
    };
  }

  @Post('logout')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Signed out')
  async logout(
    @CurrentAuth() auth: AuthContext,
    @Body() body: RefreshDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<null> {
    await this.login.logout(auth, body.refreshToken);
    this.transport.clear(res);
    return null;
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Signed out everywhere')
  async logoutAll(
    @CurrentAuth() auth: AuthContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ revoked: number }> {
    const revoked = await this.login.logoutAll(auth);
    this.transport.clear(res);
    return { revoked };
  }

  @Public()
  @Post('forgot-password')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('If that email has an account, a reset code is on its way')
  async forgotPassword(@Body() body: ForgotPasswordDto): Promise<null> {
    await this.passwords.forgot(body.email);
    return null;
  }

  @Public()
  @Post('reset-password')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Password changed; sign in again')
  async resetPassword(
    @Body() body: ResetPasswordDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<null> {
    await this.passwords.reset(body);
    this.transport.clear(res);
    return null;
  }

  @Post('change-password')
  @HttpCode(HttpStatus.OK)
  @ResponseMessage('Password changed; other sessions were signed out')
  async changePassword(
    @CurrentAuth() auth: AuthContext,
    @Body() body: ChangePasswordDto,
  ): Promise<null> {
    await this.passwords.change(auth, body);
    return null;
  }
}
